package inject_test

import (
	"os"
	"strings"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// injectCase injects the pod of a golden input with the default settings.
func injectCase(t *testing.T, file string) *corev1.Pod {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Namespace inject.Namespace `json:"namespace"`
		Pod       corev1.Pod       `json:"pod"`
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	s := inject.DefaultSettings().Complete(inject.DefaultControlPlaneNamespace)
	res := inject.Inject(&c.Pod, inject.Source{Namespace: c.Namespace}, s)
	if !res.Injected {
		t.Fatalf("%s not injected: %s", file, res.Status)
	}
	return res.Pod
}

// TestRewrittenProbesResolve follows each rewritten probe of the golden
// pod through the rendered bootstrap's listener on 15020, as Envoy would
// route it, to the application's original port on localhost.
func TestRewrittenProbesResolve(t *testing.T) {
	pod := injectCase(t, "testdata/probes.in.yaml")
	b, err := inject.ProxyBootstrap(pod)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]simulate.StaticHTTP{
		"/app-health/web/livez": {Cluster: "app-probe|web/livez", Upstream: "127.0.0.1:8080", Forward: true,
			Path: "/healthz?verbose=1", Timeout: 2 * time.Second},
		"/app-health/web/readyz": {Cluster: "app-probe|web/readyz", Upstream: "127.0.0.1:8443", Forward: true,
			Path: "/ready", TLS: true, Timeout: time.Second},
		"/app-health/web/startupz": {Cluster: "app-probe|web/startupz", Upstream: "127.0.0.1:8080", HealthCheck: "tcp"},
		"/app-health/grpc/livez":   {Cluster: "app-probe|grpc/livez", Upstream: "127.0.0.1:9090", HealthCheck: "grpc", GRPCService: "liveness"},
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.IntValue() != defaults.AppProbePort {
				continue
			}
			path := p.HTTPGet.Path
			got, err := simulate.BootstrapHTTP(b, defaults.AppProbePort, path)
			if err != nil {
				t.Errorf("%s %s: %v", c.Name, path, err)
				continue
			}
			if got != want[path] {
				t.Errorf("%s %s resolves to %+v, want %+v", c.Name, path, got, want[path])
			}
			delete(want, path)
		}
	}
	for path := range want {
		t.Errorf("no container probe was rewritten to %s", path)
	}
	if _, err := simulate.BootstrapHTTP(b, defaults.AppProbePort, "/app-health/web/other"); err == nil {
		t.Error("an unknown probe path resolved; Envoy would answer 404")
	}
}

// TestProbeHealthChecksRunAtProbePace: a TCP or gRPC probe's answer is
// only as fresh as its cluster's health check, which must run at the
// probe's period even though no request ever uses the cluster.
func TestProbeHealthChecksRunAtProbePace(t *testing.T) {
	b, err := inject.ProxyBootstrap(injectCase(t, "testdata/probes.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]time.Duration{"app-probe|web/startupz": 2 * time.Second, "app-probe|grpc/livez": 10 * time.Second}
	for _, c := range b.GetStaticResources().GetClusters() {
		want, ok := checks[c.GetName()]
		if !ok {
			if len(c.GetHealthChecks()) > 0 {
				t.Errorf("cluster %s has health checks; only TCP and gRPC probes need them", c.GetName())
			}
			continue
		}
		delete(checks, c.GetName())
		hc := c.GetHealthChecks()[0]
		if hc.GetInterval().AsDuration() != want || hc.GetNoTrafficInterval().AsDuration() != want {
			t.Errorf("%s: interval %v, no-traffic interval %v, want both %v", c.GetName(),
				hc.GetInterval().AsDuration(), hc.GetNoTrafficInterval().AsDuration(), want)
		}
		if hc.GetUnhealthyThreshold().GetValue() != 1 || hc.GetHealthyThreshold().GetValue() != 1 {
			t.Errorf("%s: thresholds %v/%v, want 1/1", c.GetName(), hc.GetUnhealthyThreshold(), hc.GetHealthyThreshold())
		}
	}
	for name := range checks {
		t.Errorf("no cluster %s", name)
	}
}

// TestProbeOptOut: with the annotation false, the probes stay and the
// proxy has no listener on 15020 nor a record of probes.
func TestProbeOptOut(t *testing.T) {
	pod := injectCase(t, "testdata/probes-opt-out.in.yaml")
	b, err := inject.ProxyBootstrap(pod)
	if err != nil {
		t.Fatal(err)
	}
	if hasListenerOn(b, defaults.AppProbePort) {
		t.Error("opted-out pod's proxy listens on 15020")
	}
	if got := pod.Spec.Containers[0].LivenessProbe.HTTPGet.Path; got != "/healthz" {
		t.Errorf("opted-out liveness path %q, want /healthz", got)
	}
	for _, e := range pod.Spec.Containers[1].Env {
		if e.Name == inject.EnvAppProbers {
			t.Errorf("opted-out proxy has %s", e.Name)
		}
	}
}

// TestProbeOptOutValues: strconv.ParseBool's false spellings all opt out,
// its true spellings keep rewriting, as in Istio.
func TestProbeOptOutValues(t *testing.T) {
	s := inject.DefaultSettings().Complete(inject.DefaultControlPlaneNamespace)
	for v, rewritten := range map[string]bool{"false": false, "False": false, "0": false, "true": true, "1": true} {
		pod := &corev1.Pod{}
		pod.Annotations = map[string]string{inject.AnnotationRewriteAppProbers: v}
		pod.Labels = map[string]string{inject.InjectKey: "true"}
		pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "app",
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{}}}}}
		pod.Spec.Containers[0].ReadinessProbe.TCPSocket.Port.IntVal = 8080
		res := inject.Inject(pod, inject.Source{Namespace: inject.Namespace{Name: "shop"}}, s)
		if !res.Injected {
			t.Fatalf("%s: not injected: %s", v, res.Status)
		}
		got := res.Pod.Spec.Containers[0].ReadinessProbe.HTTPGet != nil
		if got != rewritten {
			t.Errorf("%s=%q: rewritten %v, want %v", inject.AnnotationRewriteAppProbers, v, got, rewritten)
		}
	}
}

func hasListenerOn(b *bootstrapv3.Bootstrap, port uint32) bool {
	for _, l := range b.GetStaticResources().GetListeners() {
		if l.GetAddress().GetSocketAddress().GetPortValue() == port {
			return true
		}
	}
	return false
}

// TestProbeRecordIsIstios: ISTIO_KUBE_APP_PROBERS reads back into the
// same probes, ports as numbers.
func TestProbeRecordIsIstios(t *testing.T) {
	pod := injectCase(t, "testdata/probes.in.yaml")
	var record string
	for _, c := range pod.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == inject.EnvAppProbers {
				record = e.Value
			}
		}
	}
	probes, err := inject.ParseAppProbers(record)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(probes.Paths(), " "); got != "/app-health/grpc/livez /app-health/web/livez /app-health/web/readyz /app-health/web/startupz" {
		t.Errorf("recorded paths %s", got)
	}
	if p := probes["/app-health/web/livez"].HTTPGet; p == nil || p.Port.IntValue() != 8080 || p.Path != "/healthz?verbose=1" {
		t.Errorf("liveness record %+v, want GET /healthz?verbose=1 on 8080 (the named port resolved)", p)
	}
}

// TestProbePortNeverCaptured: whatever the pod's capture annotations say,
// istio-init is told to leave 15020 alone (-d), and sailplane-init's
// exclusions come before any capture rule (test/netns proves that part).
func TestProbePortNeverCaptured(t *testing.T) {
	s := inject.DefaultSettings().Complete(inject.DefaultControlPlaneNamespace)
	for _, ann := range []map[string]string{
		nil,
		{inject.AnnotationIncludeInboundPorts: "15020,8080"},
		{inject.AnnotationExcludeInboundPorts: "9090"},
		{inject.AnnotationInterceptionMode: inject.ModeTProxy, inject.AnnotationIncludeInboundPorts: "*"},
	} {
		pod := &corev1.Pod{}
		pod.Labels = map[string]string{inject.InjectKey: "true"}
		pod.Annotations = ann
		pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "app",
			LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{}}}}}
		pod.Spec.Containers[0].LivenessProbe.TCPSocket.Port.IntVal = 8080
		res := inject.Inject(pod, inject.Source{Namespace: inject.Namespace{Name: "shop"}}, s)
		if !res.Injected {
			t.Fatalf("%v: not injected: %s", ann, res.Status)
		}
		args := res.Pod.Spec.InitContainers[len(res.Pod.Spec.InitContainers)-1].Args
		excluded := ""
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-d" {
				excluded = args[i+1]
			}
		}
		if !strings.Contains(","+excluded+",", ",15020,") {
			t.Errorf("%v: istio-init -d %q does not exclude the probe port 15020", ann, excluded)
		}
	}
}
