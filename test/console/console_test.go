// Package console drives the mesh console in headless Chromium against a
// control plane in local mode with the demo mesh: the graph, the live
// update of route weights, a rejected VirtualService on the Config page
// and the demo client on the Proxies page. With
// SAILPLANE_CONSOLE_SCREENSHOTS=1 it rewrites docs/console/*.png.
package console

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/console"
	"github.com/sailplane/sailplane/internal/demo"
	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/test/envtestutil"
)

const chromiumPath = "/usr/bin/chromium"

// world is a running control plane with the demo mesh and its client.
type world struct {
	monitoring, token string
	sailctl           string
	kubeconfig        string
	client            client.Client
}

func start(t *testing.T) *world {
	t.Helper()
	env, cfg, err := envtestutil.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.MonitoringAddress, opts.WebhookAddress = envtestutil.FreeAddr(t), envtestutil.FreeAddr(t), ""
	opts.XDSSecureAddress = envtestutil.FreeAddr(t)
	mgr, err := manager.New(cfg, opts, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = mgr.Start(ctx) }()
	token, err := envtestutil.DebugToken(ctx, cfg, opts.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	mesh, err := demo.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mesh.Stop)
	c, err := newClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The demo client (sailctl x call, as the start-up hint runs it): a
	// proxyless gRPC client that stays connected.
	sailctl := envtestutil.BuildSailctl(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	bg := exec.Command(sailctl, "x", "call", demo.Target, "--count", "0", "--xds-address", demo.DialAddress(opts.XDSAddress))
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bg.Process.Kill(); _ = bg.Wait() })
	return &world{monitoring: demo.DialAddress(opts.MonitoringAddress), token: token, sailctl: sailctl, kubeconfig: kubeconfig, client: c}
}

func newClient(cfg *rest.Config) (client.Client, error) {
	scheme, err := manager.NewScheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme})
}

// browser starts headless Chromium with nothing that reaches the network.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("SKIPPED, NOT PASSED: " + chromiumPath + " is absent (apt-get install chromium); the console's browser test did not run")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return ctx
}

// waitText polls a script's string result in the page until it is want.
func waitText(t *testing.T, ctx context.Context, what, script, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](script))
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %q (err %v), want %q", what, got, err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// edgeLabel is the label of the route edge to a demo subset.
func edgeLabel(subset string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector('#graph .edge.route[data-to="subset:%s|%s"] .label'); return e ? e.textContent : ""; })()`, demo.Host, subset)
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if os.Getenv("SAILPLANE_CONSOLE_SCREENSHOTS") != "" {
		root, err := envtestbin.ModuleRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "docs", "console")
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestConsole(t *testing.T) {
	ctx := browser(t)
	w := start(t)

	t.Run("api needs the debug token, answers 304 while unchanged", func(t *testing.T) {
		checkAPIAuth(t, w)
	})

	// sailctl dashboard prints the URL (with a token of its own, from the
	// kubeconfig as proxy-status gets one).
	cmd := exec.Command(w.sailctl, "dashboard", "--monitoring-address", w.monitoring)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+w.kubeconfig)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sailctl dashboard: %v\n%s", err, out)
	}
	url := strings.TrimSpace(string(out))
	if !strings.HasPrefix(url, "http://"+w.monitoring+console.PagePath+"#token=") {
		t.Fatalf("sailctl dashboard printed %q", url)
	}

	// The graph: the demo service, both subsets, the VirtualService's 100%
	// to v1 and no route to v2.
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "route edge to v1", edgeLabel("v1"), "100%")
	waitText(t, ctx, "no route edge to v2 yet", edgeLabel("v2"), "")
	waitText(t, ctx, "subset nodes", `Array.from(document.querySelectorAll('#graph .node.subset')).map(n => n.textContent.replace('subset','')).sort().join(',')`,
		"v1v1,v2v2") // each node's visible name and its title
	waitText(t, ctx, "service node", fmt.Sprintf(`document.querySelector('#graph .node.service[data-id="svc:%s"]') ? "yes" : "no"`, demo.Host), "yes")
	waitText(t, ctx, "token kept out of the address", `location.hash`, "#graph")
	// Keyboard: focus the v1 edge and press Enter; the panel names the rule
	// and the Envoy cluster.
	sel := fmt.Sprintf(`#graph .edge.route[data-to="subset:%s|v1"]`, demo.Host)
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent("\r")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "detail panel", `document.getElementById('detail').textContent.includes('VirtualService demo/reviews') && document.getElementById('detail').textContent.includes('outbound|`+fmt.Sprint(demo.Port)+`|v1|`+demo.Host+`') ? "ok" : document.getElementById('detail').textContent`, "ok")

	// A 50/50 split updates the labels without a reload (the marker set in
	// this page survives).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.sameLoad = "yes"`)); err != nil {
		t.Fatal(err)
	}
	split(t, w.client)
	waitText(t, ctx, "route edge to v1 after the split", edgeLabel("v1"), "50%")
	waitText(t, ctx, "route edge to v2 after the split", edgeLabel("v2"), "50%")
	waitText(t, ctx, "no reload", `window.sameLoad || "reloaded"`, "yes")
	screenshot(t, ctx, "graph")

	// A VirtualService naming a missing subset: its problem on Config.
	broken(t, w.client)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-config"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "broken VirtualService on the Config page",
		`(() => { const r = document.querySelector('#config-table tr[data-object="VirtualService/demo/broken"]'); return r ? r.children[3].textContent + ": " + r.children[4].textContent : ""; })()`,
		`False: http[0].route[0].destination: subset "v3" not found in DestinationRule demo/reviews`)
	screenshot(t, ctx, "config")

	// The demo client on Proxies, SYNCED.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-proxies"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "demo client on the Proxies page",
		`(() => { const r = document.querySelector('#proxy-table tr[data-proxy="`+demo.ProxyName+`"]'); return r ? r.querySelector('.state').textContent : ""; })()`, "SYNCED")
	screenshot(t, ctx, "proxies")

	// The impact preview of an 80/20 split: the demo client's route
	// configuration would change, nothing else, and nothing is applied.
	change := fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: %s}
spec:
  hosts: [%s]
  http:
  - route:
    - {destination: {host: %s, subset: v1}, weight: 80}
    - {destination: {host: %s, subset: v2}, weight: 20}
`, demo.Namespace, demo.Host, demo.Host, demo.Host)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#tab-impact")), chromedp.SetValue(chromedp.ID("impact-yaml"), change),
		chromedp.Click(chromedp.CSS("#impact-form button[type=submit]"))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "impact summary", `(document.getElementById('impact-summary') || {}).textContent || ""`,
		"1 proxies would get new configuration, 0 unchanged.")
	waitText(t, ctx, "impact rows", `Array.from(document.querySelectorAll('#impact-result table.impact tbody tr')).map(r => r.children[0].textContent + " " + r.children[2].textContent).join(",")`,
		"RDS changed")
	waitText(t, ctx, "impact group", `document.querySelector('#impact-result h3').textContent`, demo.ProxyName)
	screenshot(t, ctx, "impact")
	waitText(t, ctx, "nothing applied", edgeLabel("v1"), "50%")

	// The same from sailctl x impact.
	file := filepath.Join(t.TempDir(), "change.yaml")
	if err := os.WriteFile(file, []byte(change), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(w.sailctl, "x", "impact", "-f", file, "--monitoring-address", w.monitoring)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+w.kubeconfig)
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "1 proxies would get new configuration, 0 unchanged") || !strings.Contains(string(out), demo.ProxyName) {
		t.Errorf("sailctl x impact: %v\n%s", err, out)
	}
	t.Logf("sailctl x impact:\n%s", out)
}

func checkAPIAuth(t *testing.T, w *world) {
	url := "http://" + w.monitoring + console.ViewPath
	get := func(token, etag string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get("", ""); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %s, want 401", r.Status)
	}
	if r := get("not-a-token", ""); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad token: %s, want 401", r.Status)
	}
	// Wait for a stable view (the mesh settles), then the same ETag is 304.
	var etag string
	envtestutil.WaitFor(t, 30*time.Second, "an unchanged view to answer 304", func() bool {
		r := get(w.token, "")
		if r.StatusCode != http.StatusOK {
			t.Fatalf("with the token: %s", r.Status)
		}
		etag = r.Header.Get("ETag")
		return get(w.token, etag).StatusCode == http.StatusNotModified
	})
}

func split(t *testing.T, c client.Client) {
	t.Helper()
	ctx := context.Background()
	var vs networkingv1.VirtualService
	if err := c.Get(ctx, client.ObjectKey{Namespace: demo.Namespace, Name: "reviews"}, &vs); err != nil {
		t.Fatal(err)
	}
	vs.Spec.HTTP = []networkingv1.HTTPRoute{{Route: []networkingv1.HTTPRouteDestination{
		{Destination: networkingv1.Destination{Host: demo.Host, Subset: "v1"}, Weight: 50},
		{Destination: networkingv1.Destination{Host: demo.Host, Subset: "v2"}, Weight: 50},
	}}}
	if err := c.Update(ctx, &vs); err != nil {
		t.Fatal(err)
	}
}

func broken(t *testing.T, c client.Client) {
	t.Helper()
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "broken", Namespace: demo.Namespace}, Spec: networkingv1.VirtualServiceSpec{
		Hosts: []string{"broken.demo.local"},
		HTTP: []networkingv1.HTTPRoute{{Route: []networkingv1.HTTPRouteDestination{
			{Destination: networkingv1.Destination{Host: demo.Host, Subset: "v3"}},
		}}},
	}}
	if err := c.Create(context.Background(), vs); err != nil {
		t.Fatal(err)
	}
}
