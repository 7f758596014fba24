package netns

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/inject"
)

// probedPod has one probe of each kind the injector rewrites, against the
// application probeApp runs: HTTP with a named port, query and header; TCP
// to a listening and to a closed port; gRPC to a serving and to a
// not-serving service.
func probedPod() *corev1.Pod {
	get := func(path string, port intstr.IntOrString, headers ...corev1.HTTPHeader) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: path, Port: port, HTTPHeaders: headers,
		}}}
	}
	tcp := func(port int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}}}
	}
	rpc := func(service string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: appGRPCPort, Service: ptr.To(service)}}}
	}
	pod := &corev1.Pod{}
	pod.Name, pod.Namespace = "web-1", "shop"
	pod.Spec.Containers = []corev1.Container{{
		Name: "web", Image: "example/web",
		Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: appHTTPPort}},
		LivenessProbe:  get("/healthz?verbose=1", intstr.FromString("http"), corev1.HTTPHeader{Name: "X-Probe", Value: "liveness"}),
		ReadinessProbe: tcp(appTCPPort),
		StartupProbe:   tcp(appClosedPort),
	}, {
		Name: "rpc", Image: "example/rpc",
		LivenessProbe:  rpc("up"),
		ReadinessProbe: rpc("down"),
		StartupProbe:   get("/broken", intstr.FromInt32(appHTTPPort)),
	}}
	return pod
}

// TestRewrittenProbesReachTheApp injects probedPod, installs the injected
// istio-init's rules with the real sailplane-init, and sends the kubelet's
// rewritten probes from outside the pod. Envoy cannot run here, so a stand-in
// running as the proxy's UID listens on 15020 and does what the rendered
// bootstrap says (route-table simulation over the generated protos). What
// is real: the injector's rewrite and bootstrap, the iptables rules, the
// kubelet-side GET crossing them uncaptured, the proxy-side connection to
// localhost crossing them uncaptured, and the application's answers.
func TestRewrittenProbesReachTheApp(t *testing.T) {
	// The stand-in runs as the injected Envoy does: UID and GID 1337 in
	// REDIRECT mode, root with GID 1337 under TPROXY.
	for _, mode := range []struct {
		name   string
		as     who
		tproxy bool
	}{{inject.ModeRedirect, proxy, false}, {inject.ModeTProxy, who{0, 1337}, true}} {
		t.Run(mode.name, func(t *testing.T) { probesReachTheApp(t, mode.name, mode.as, mode.tproxy) })
	}
}

func probesReachTheApp(t *testing.T, mode string, as who, tproxy bool) {
	prepare(t)
	s := inject.DefaultSettings().Complete(inject.DefaultControlPlaneNamespace)
	src := inject.Source{Namespace: inject.Namespace{Name: "shop", Labels: map[string]string{inject.NamespaceInjectionLabel: "enabled"}}}
	pod := probedPod()
	pod.Annotations = map[string]string{inject.AnnotationInterceptionMode: mode}
	res := inject.Inject(pod, src, s)
	if !res.Injected {
		t.Fatalf("not injected: %s", res.Status)
	}
	pod = res.Pod
	bootstrapFile := writeBootstrap(t, pod)

	p := newPair(t)
	// The capture listeners, so a connection the rules wrongly capture is
	// answered by name instead of vanishing.
	captures := listeners("outbound-capture", defaults.OutboundCapturePort)
	if tproxy {
		captures = append(captures, "inbound-capture=tcp4/0.0.0.0:15006/t", "inbound-capture=tcp6/[::]:15006/t")
	} else {
		captures = append(captures, listeners("inbound-capture", defaults.InboundCapturePort)...)
	}
	p.serve(t, p.pod, captures)
	startHelper(t, p.pod, envRole+"=probe-app")
	startHelper(t, p.pod, envRole+"=probe-proxy", envBootstrap+"="+bootstrapFile,
		envUID+"="+strconv.Itoa(as.uid), envGID+"="+strconv.Itoa(as.gid))
	p.initRules(t, initArgs(t, pod)...)

	type want struct {
		status int
		body   []string // substrings of the answer
	}
	wants := map[string]want{
		// The app saw the original path and header, over localhost from
		// the proxy, on its own port (not 15006: nothing captured it).
		"/app-health/web/livez":    {200, []string{"app path=/healthz?verbose=1 probe=liveness local=127.0.0.1:8080 remote=127.0.0.1:"}},
		"/app-health/web/readyz":   {200, nil},
		"/app-health/web/startupz": {503, nil}, // nothing listens on 9091
		"/app-health/rpc/livez":    {200, nil},
		"/app-health/rpc/readyz":   {503, nil}, // NOT_SERVING
		"/app-health/rpc/startupz": {500, nil}, // the app's own 500 comes back
	}
	for _, c := range pod.Spec.Containers[:2] {
		for _, probe := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			h := probe.HTTPGet
			if h == nil || h.Port.IntValue() != defaults.AppProbePort || h.Host != "" {
				t.Fatalf("container %s: probe %+v was not rewritten to port %d", c.Name, probe.ProbeHandler, defaults.AppProbePort)
			}
			w, ok := wants[h.Path]
			if !ok {
				t.Fatalf("container %s: unexpected rewritten path %s", c.Name, h.Path)
			}
			delete(wants, h.Path)
			url := fmt.Sprintf("%s://%s%s", strings.ToLower(string(h.Scheme)), hostPort(podIP, defaults.AppProbePort), h.Path)
			status, body := kubeletGet(t, p.peer, url, h.HTTPHeaders)
			if status != w.status {
				t.Errorf("%s: status %d, want %d (%s)", h.Path, status, w.status, body)
			}
			for _, sub := range w.body {
				if !strings.Contains(body, sub) {
					t.Errorf("%s: answer %q lacks %q", h.Path, body, sub)
				}
			}
		}
	}
	for path := range wants {
		t.Errorf("no probe was rewritten to %s", path)
	}
	// Why the rewrite is needed: the original probe's port is captured
	// into the proxy's inbound listener, where STRICT mTLS refuses it.
	direct := hostPort(podIP, appHTTPPort)
	got, err := p.dial(p.peer, direct, root)
	if err != nil || got["name"] != "inbound-capture" {
		t.Errorf("a probe straight to %s: %v %v, want it captured by the inbound listener", direct, got, err)
	}
}

// writeBootstrap saves the proxy's --config-yaml where the stand-in, running
// as UID 1337, can read it.
func writeBootstrap(t *testing.T, pod *corev1.Pod) string {
	t.Helper()
	if _, err := inject.ProxyBootstrap(pod); err != nil {
		t.Fatal(err)
	}
	for _, c := range pod.Spec.Containers {
		for i, a := range c.Args {
			if c.Name == defaults.ProxyContainerName && a == "--config-yaml" {
				// workDir, not t.TempDir: UID 1337 can enter it.
				f := filepath.Join(workDir, "bootstrap-"+strings.ReplaceAll(t.Name(), "/", "-")+".yaml")
				if err := os.WriteFile(f, []byte(c.Args[i+1]), 0o644); err != nil {
					t.Fatal(err)
				}
				return f
			}
		}
	}
	t.Fatal("no istio-proxy --config-yaml")
	return ""
}

// initArgs are the injected istio-init's flags.
func initArgs(t *testing.T, pod *corev1.Pod) []string {
	t.Helper()
	for _, c := range pod.Spec.InitContainers {
		if c.Name == defaults.InitContainerName {
			return c.Args
		}
	}
	t.Fatal("no istio-init container")
	return nil
}

// kubeletGet runs one GET from ns, as the kubelet on the node would.
func kubeletGet(t *testing.T, ns, url string, headers []corev1.HTTPHeader) (int, string) {
	t.Helper()
	var hs []string
	for _, h := range headers {
		hs = append(hs, h.Name+"="+h.Value)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, helperBin)
	cmd.Env = append(os.Environ(), envRole+"=http-get", envURL+"="+url, envHeaders+"="+strings.Join(hs, ";"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("GET %s from %s: %v: %s", url, ns, err, bytes.TrimSpace(out))
	}
	var status int
	first, rest, _ := strings.Cut(string(out), " ")
	if _, err := fmt.Sscanf(first, "status=%d", &status); err != nil {
		t.Fatalf("GET %s: unreadable answer %q", url, out)
	}
	return status, rest
}
