package inject

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/inject"
)

// TestProbesRewrittenThroughTheAPIServer creates a pod with an HTTP and a
// TCP probe through the real API server and webhook: what is stored has
// both pointed at the proxy's probe port, its bootstrap listening there,
// and the originals in ISTIO_KUBE_APP_PROBERS; the opt-out annotation
// stores them as written.
func TestProbesRewrittenThroughTheAPIServer(t *testing.T) {
	ns := testName(t)
	ensureNamespace(t, ns, map[string]string{inject.NamespaceInjectionLabel: "enabled"})
	withProbes := func(annotations map[string]string) *corev1.Pod {
		pod := newPod(nil, annotations)
		c := &pod.Spec.Containers[0]
		c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}}
		c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}}
		return pod
	}
	got, err := create(t, ns, withProbes(nil))
	if err != nil {
		t.Fatal(err)
	}
	app := got.Spec.Containers[0]
	for kind, p := range map[string]*corev1.Probe{"livez": app.LivenessProbe, "readyz": app.ReadinessProbe} {
		if p.HTTPGet == nil || p.HTTPGet.Port.IntValue() != defaults.AppProbePort || p.HTTPGet.Path != "/app-health/web/"+kind || p.TCPSocket != nil {
			t.Errorf("stored %s probe %+v, want an HTTP GET of /app-health/web/%s on %d", kind, p.ProbeHandler, kind, defaults.AppProbePort)
		}
	}
	var record string
	for _, c := range got.Spec.Containers {
		for _, e := range c.Env {
			if c.Name == defaults.ProxyContainerName && e.Name == inject.EnvAppProbers {
				record = e.Value
			}
		}
	}
	if !strings.Contains(record, `"/app-health/web/readyz":{"tcpSocket":{"port":8080},`) {
		t.Errorf("%s = %q lacks the original TCP probe", inject.EnvAppProbers, record)
	}
	b, err := inject.ProxyBootstrap(got)
	if err != nil {
		t.Fatal(err)
	}
	var listening bool
	for _, l := range b.GetStaticResources().GetListeners() {
		listening = listening || l.GetAddress().GetSocketAddress().GetPortValue() == defaults.AppProbePort
	}
	if !listening {
		t.Error("the stored bootstrap has no listener on the probe port")
	}

	kept, err := create(t, ns, withProbes(map[string]string{inject.AnnotationRewriteAppProbers: "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if p := kept.Spec.Containers[0].ReadinessProbe; p.TCPSocket == nil || p.HTTPGet != nil {
		t.Errorf("opted-out readiness probe stored as %+v, want the original tcpSocket", p.ProbeHandler)
	}
}
