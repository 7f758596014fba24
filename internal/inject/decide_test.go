package inject

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestInjectValues runs every spelling users write in sidecar.istio.io/inject
// through the decision, as label and as annotation. Istio's injector opts in
// only for y, yes, true and on, in any case; an empty value leaves the
// choice to the namespace; every other value opts out.
func TestInjectValues(t *testing.T) {
	s := testSettings()
	enabledNS := Source{Namespace: Namespace{Name: "shop", Labels: map[string]string{NamespaceInjectionLabel: "enabled"}}}
	revisionNS := Source{Namespace: Namespace{Name: "shop", Labels: map[string]string{RevisionLabel: "stable"}}}
	unlabelledNS := Source{Namespace: Namespace{Name: "shop"}}
	manual := Source{Manual: true}

	withLabel := func(v string) *corev1.Pod { p := appPod(); p.Labels[InjectKey] = v; return p }
	withAnnotation := func(v string) *corev1.Pod {
		p := appPod()
		p.Annotations = map[string]string{InjectKey: v}
		return p
	}
	for _, v := range []string{"false", "False", "FALSE", "no", "No", "n", "off", "OFF", "0", "maybe", "disabled"} {
		for _, c := range []struct {
			where string
			pod   *corev1.Pod
		}{{"label", withLabel(v)}, {"annotation", withAnnotation(v)}} {
			for name, src := range map[string]Source{"enabled namespace": enabledNS, "revision namespace": revisionNS, "kube-inject": manual} {
				d := Decide(c.pod, src, s)
				if d.Inject {
					t.Errorf("%s %s=%q, %s: injected (%s); any value but y, yes, true or on opts out", c.where, InjectKey, v, name, d.Reason)
					continue
				}
				if want := c.where + " " + InjectKey + "=" + v; !strings.Contains(d.Reason, want) {
					t.Errorf("%s %s=%q, %s: reason %q does not name %q", c.where, InjectKey, v, name, d.Reason, want)
				}
			}
		}
	}
	for _, v := range []string{"true", "True", "TRUE", "yes", "YES", "y", "Y", "on", "On", ""} {
		for _, pod := range []*corev1.Pod{withLabel(v), withAnnotation(v)} {
			for name, src := range map[string]Source{"enabled namespace": enabledNS, "revision namespace": revisionNS, "kube-inject": manual} {
				if d := Decide(pod, src, s); !d.Inject {
					t.Errorf("%s=%q, %s: not injected (%s), want injected", InjectKey, v, name, d.Reason)
				}
			}
		}
	}

	// The label wins over the annotation, even when it is empty (Istio
	// reads the label whenever it is present).
	both := withLabel("")
	both.Annotations = map[string]string{InjectKey: "false"}
	if d := Decide(both, enabledNS, s); !d.Inject {
		t.Errorf("empty label over annotation false: not injected (%s); the label is the one read", d.Reason)
	}
	both = withLabel("no")
	both.Annotations = map[string]string{InjectKey: "true"}
	if d := Decide(both, enabledNS, s); d.Inject || !strings.Contains(d.Reason, "label "+InjectKey+"=no") {
		t.Errorf("label no over annotation true: got %+v, want not injected because of the label", d)
	}

	// From a namespace with neither label, only the pod label "true"
	// (exactly: the object-injector webhook's selector) selects the pod.
	// Other spellings and the annotation never reach the injector.
	for _, tc := range []struct {
		pod  *corev1.Pod
		want bool
	}{
		{withLabel("true"), true},
		{withLabel("yes"), false},
		{withLabel("TRUE"), false},
		{withAnnotation("true"), false},
		{withLabel("false"), false},
	} {
		d := Decide(tc.pod, unlabelledNS, s)
		if d.Inject != tc.want || d.Reason == "" {
			t.Errorf("unlabelled namespace, labels %v annotations %v: got %+v, want inject=%v with a reason",
				tc.pod.Labels, tc.pod.Annotations, d, tc.want)
		}
	}
	if d := Decide(withAnnotation("true"), unlabelledNS, s); !strings.Contains(d.Reason, "annotation") {
		t.Errorf("annotation-only opt-in in an unlabelled namespace: reason %q does not say the annotation cannot select the pod", d.Reason)
	}
}

// TestInjectValueStatus: the status annotation on the admitted pod says
// which value opted it out.
func TestInjectValueStatus(t *testing.T) {
	pod := appPod()
	pod.Labels[InjectKey] = "False"
	res := Inject(pod, enabled, testSettings())
	if res.Injected {
		t.Fatalf("injected a pod labelled %s=False", InjectKey)
	}
	want := StatusNotInjected + "pod opted out with label " + InjectKey + "=False"
	if got := res.Pod.Annotations[StatusAnnotation]; !strings.HasPrefix(got, want) {
		t.Errorf("status %q, want it to start with %q", got, want)
	}
}
