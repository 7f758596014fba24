package xds

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xdsserver"
	"github.com/sailplane/sailplane/test/envtestutil"
)

func TestSotWDeliversConsistentConfig(t *testing.T) {
	createMesh(t, "sotw")
	r := startReplica(t, false)
	c := dialSotW(t, r.xds, productpageNode("sotw"))
	res, _ := c.subscribe(t)
	for _, err := range xds.CheckConsistency(res) {
		t.Error(err)
	}
	want := map[string]bool{"outbound|9080||reviews.sotw.svc.cluster.local": false, "inbound|9080||productpage.sotw.svc.cluster.local": false}
	for _, cl := range res.Clusters {
		if _, ok := want[cl.Name]; ok {
			want[cl.Name] = true
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("cluster %s missing", name)
		}
	}
	for _, e := range res.Endpoints {
		if e.ClusterName == "outbound|9080||reviews.sotw.svc.cluster.local" && len(e.Endpoints[0].LbEndpoints) != 2 {
			t.Errorf("reviews should have 2 endpoints: %v", e)
		}
	}
}

func TestNackIsNotAnsweredWithTheSameVersion(t *testing.T) {
	createMesh(t, "nack")
	r := startReplica(t, false)
	c := dialSotW(t, r.xds, productpageNode("nack"))
	_, last := c.subscribe(t)
	good := last[resource.ListenerType]

	// A fault filter changes the HTTP listener: a new LDS version arrives,
	// and the proxy rejects it.
	applyVS(t, "nack", `{hosts: [reviews], http: [{fault: {abort: {httpStatus: 503, percentage: {value: 50}}}, route: [{destination: {host: reviews}}]}]}`)
	bad := c.next(t, resource.ListenerType, 20*time.Second)
	if bad.VersionInfo == good.VersionInfo {
		t.Fatal("the change did not produce a new listener version")
	}
	c.send(t, resource.ListenerType, nil, good.VersionInfo, bad.Nonce, &statuspb.Status{Code: 3, Message: "listener 0.0.0.0_9080: rejected by the test"})
	if again := c.Poll(resource.ListenerType, 3*time.Second); again != nil {
		t.Fatalf("the rejected version was sent again (version %s)", again.VersionInfo)
	}
	checkNackReported(t, r, bad.VersionInfo)

	// A later change is delivered normally.
	applyVS(t, "nack", `{hosts: [reviews], http: [{corsPolicy: {allowOrigins: [{exact: "https://a.example"}]}, route: [{destination: {host: reviews}}]}]}`)
	next := c.next(t, resource.ListenerType, 20*time.Second)
	if next.VersionInfo == bad.VersionInfo || next.VersionInfo == good.VersionInfo {
		t.Fatalf("expected a third listener version, got %s", next.VersionInfo)
	}
}

func checkNackReported(t *testing.T, r *replica, version string) {
	t.Helper()
	var proxies []xdsserver.ProxyStatus
	getJSON(t, "http://"+r.monitoring+xdsserver.ProxyStatusPath, &proxies)
	for _, p := range proxies {
		if n, ok := p.Nacks[resource.ListenerType]; ok && n.Version == version && strings.Contains(n.Error, "rejected by the test") {
			metrics := get(t, "http://"+r.monitoring+"/metrics")
			if !strings.Contains(metrics, `sailplane_xds_nacks_total{type="`+resource.ListenerType+`"} 1`) {
				t.Errorf("NACK metric not counted:\n%s", grep(metrics, "sailplane_xds"))
			}
			return
		}
	}
	t.Errorf("proxy-status does not show the NACK of version %s: %+v", version, proxies)
}

// applyVS creates or updates VirtualService reviews; the status writer
// bumps resourceVersion concurrently, so updates retry on conflict.
func applyVS(t *testing.T, ns, spec string) {
	t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		vs := &networkingv1.VirtualService{}
		if err := k8s.Get(ctx, clientKey(ns, "reviews"), vs); err != nil {
			vs = &networkingv1.VirtualService{}
			vs.Name, vs.Namespace = "reviews", ns
		}
		vs.Spec = networkingv1.VirtualServiceSpec{}
		if err := yaml.Unmarshal([]byte(spec), &vs.Spec); err != nil {
			return err
		}
		if vs.ResourceVersion == "" {
			return k8s.Create(ctx, vs)
		}
		return k8s.Update(ctx, vs)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// get reads a monitoring URL with the debug token, as sailctl would.
func get(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+debugToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(get(t, url)), v); err != nil {
		t.Fatal(err)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestRejectionShowsInStatus: a proxy's NACK that names a cluster lands in
// the status of the rules for that host.
func TestRejectionShowsInStatus(t *testing.T) {
	createMesh(t, "reject")
	r := startReplica(t, false)
	applyVS(t, "reject", `{hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}`)
	c := dialSotW(t, r.xds, productpageNode("reject"))
	_, last := c.subscribe(t)
	applyVS(t, "reject", `{hosts: [reviews], http: [{timeout: 3s, route: [{destination: {host: reviews}}]}]}`)
	rds := c.next(t, resource.RouteType, 20*time.Second)
	c.send(t, resource.RouteType, nil, last[resource.RouteType].VersionInfo, rds.Nonce,
		&statuspb.Status{Code: 3, Message: "route 9080: unknown cluster 'outbound|9080||reviews.reject.svc.cluster.local'"})
	envtestutil.WaitFor(t, 30*time.Second, "the rejection in the VirtualService's status", func() bool {
		cond := accepted(t, "reject", "reviews")
		return cond != nil && cond.Status == "False" && strings.Contains(cond.Message, "rejected") &&
			strings.Contains(cond.Message, "unknown cluster")
	})
}
