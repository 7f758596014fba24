package inject

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The remembered bootstrap is the rendering of the bootstrap for the same
// address and mode, and only for those.
func TestRenderedBootstrapIsTheRendering(t *testing.T) {
	for _, c := range []struct{ addr, mode string }{
		{"sailplane.sailplane-system.svc:15012", "REDIRECT"},
		{"sailplane.sailplane-system.svc:15012", "TPROXY"},
		{"other.example.svc:15010", "REDIRECT"},
	} {
		b, err := Bootstrap(c.addr, c.mode)
		if err != nil {
			t.Fatal(err)
		}
		want, err := RenderBootstrap(b)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // computed, then remembered
			got, err := renderedBootstrap(c.addr, c.mode, nil)
			if err != nil || got != want {
				t.Fatalf("%s %s: remembered bootstrap differs from the rendering (err %v)", c.addr, c.mode, err)
			}
		}
	}
	a, _ := renderedBootstrap("sailplane.sailplane-system.svc:15012", "REDIRECT", nil)
	b, _ := renderedBootstrap("sailplane.sailplane-system.svc:15012", "TPROXY", nil)
	if a == b {
		t.Error("different interception modes must give different bootstraps")
	}
}

// BenchmarkInject is one admission's pure work: deciding, rendering the
// containers and the bootstrap.
func BenchmarkInject(b *testing.B) {
	s := DefaultSettings().Complete("sailplane-system")
	src := Source{Namespace: Namespace{Name: "bench", Labels: map[string]string{"istio-injection": "enabled"}}}
	for b.Loop() {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "bench", Labels: map[string]string{"app": "x"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}},
		}
		if res := Inject(pod, src, s); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

// BenchmarkInjectWithProbes is BenchmarkInject for a pod with an HTTP and
// a TCP probe: the pods of one workload share a remembered bootstrap.
func BenchmarkInjectWithProbes(b *testing.B) {
	s := DefaultSettings().Complete("sailplane-system")
	src := Source{Namespace: Namespace{Name: "bench", Labels: map[string]string{"istio-injection": "enabled"}}}
	for b.Loop() {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "bench", Labels: map[string]string{"app": "x"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1",
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}},
			}}},
		}
		if res := Inject(pod, src, s); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
