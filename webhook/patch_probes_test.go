package webhook

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sailplane/sailplane/internal/inject"
)

// TestRewrittenProbesPatch: a pod whose probes the injector rewrites is
// admitted with a patch that gives exactly the injector's pod, touching
// only the probes' handlers (a field this build does not know, inside a
// probe, survives).
func TestRewrittenProbesPatch(t *testing.T) {
	h := newInjector(t, settings(), namespace("shop", map[string]string{"istio-injection": "enabled"}))
	req := podCreate(t, "shop", nil)
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		t.Fatal(err)
	}
	c := &pod.Spec.Containers[0]
	c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 7}
	c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}}}
	c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}}
	c.Env = []corev1.EnvVar{{Name: "KEEP", Value: "1"}}
	raw, err := json.Marshal(&pod)
	if err != nil {
		t.Fatal(err)
	}
	req.Object.Raw = []byte(strings.Replace(string(raw), `"livenessProbe":{`, `"livenessProbe":{"futureProbeField":1,`, 1))

	got, out := applyPatch(t, req, h.Handle(context.Background(), req))
	pod.Namespace = "shop" // the injector sees the request's namespace
	want := inject.Inject(&pod, inject.Source{Namespace: inject.Namespace{Name: "shop", Labels: map[string]string{"istio-injection": "enabled"}}}, settings())
	got.Namespace = "shop"
	if !equality.Semantic.DeepEqual(got.Spec, want.Pod.Spec) {
		g, _ := json.Marshal(got.Spec.Containers[0])
		w, _ := json.Marshal(want.Pod.Spec.Containers[0])
		t.Errorf("patched pod differs from the injector's:\n got %s\nwant %s", g, w)
	}
	for _, p := range []*corev1.Probe{got.Spec.Containers[0].LivenessProbe, got.Spec.Containers[0].ReadinessProbe, got.Spec.Containers[0].StartupProbe} {
		if p.HTTPGet == nil || p.HTTPGet.Port.IntValue() != 15020 {
			t.Errorf("probe %+v not pointed at 15020", p.ProbeHandler)
		}
	}
	if got.Spec.Containers[0].LivenessProbe.PeriodSeconds != 7 {
		t.Error("the liveness probe lost its period")
	}
	if got.Spec.Containers[0].LivenessProbe.TCPSocket != nil || got.Spec.Containers[0].StartupProbe.GRPC != nil {
		t.Error("the tcpSocket or grpc handler survived next to the new httpGet")
	}
	if !strings.Contains(string(out), `"futureProbeField":1`) {
		t.Error("the patch dropped a probe field this build does not know")
	}
}

// TestProbePatchRefusesOtherChanges: the patch expresses a probe's new
// handler only.
func TestProbePatchRefusesOtherChanges(t *testing.T) {
	before := corev1.Container{Name: "app", LivenessProbe: &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}, PeriodSeconds: 5}}
	pointed := func(c *corev1.Container) {
		c.LivenessProbe.ProbeHandler = corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/app-health/app/livez", Port: intstr.FromInt32(15020)}}
	}
	for name, change := range map[string]func(*corev1.Container){
		"probe timing changed": func(c *corev1.Container) { pointed(c); c.LivenessProbe.PeriodSeconds = 6 },
		"probe removed":        func(c *corev1.Container) { c.LivenessProbe = nil },
		"probe made exec": func(c *corev1.Container) {
			c.LivenessProbe.ProbeHandler = corev1.ProbeHandler{Exec: &corev1.ExecAction{}}
		},
		"image changed too": func(c *corev1.Container) { pointed(c); c.Image = "other" },
	} {
		after := before.DeepCopy()
		change(after)
		if _, err := probeOps("/spec/containers/0", before, *after); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	after := before.DeepCopy()
	pointed(after)
	ops, err := probeOps("/spec/containers/0", before, *after)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range ops {
		got = append(got, op.Op+" "+op.Path)
	}
	if want := "remove /spec/containers/0/livenessProbe/tcpSocket,add /spec/containers/0/livenessProbe/httpGet"; strings.Join(got, ",") != want {
		t.Errorf("ops %v, want %s", got, want)
	}
}

// TestEmptyAnnotationValueStaysInThePatch: an add of "" still carries its
// value now that remove ops carry none.
func TestEmptyAnnotationValueStaysInThePatch(t *testing.T) {
	b, err := json.Marshal(patchOp{"add", "/metadata/annotations/x", ""})
	if err != nil || !strings.Contains(string(b), `"value":""`) {
		t.Errorf("add of an empty string marshals as %s (%v)", b, err)
	}
	b, _ = json.Marshal(patchOp{Op: "remove", Path: "/a"})
	if strings.Contains(string(b), "value") {
		t.Errorf("remove marshals as %s, want no value", b)
	}
}
