package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

func TestPodEventsThatChangeNoProxyDoNotRebuild(t *testing.T) {
	pending := &corev1.Pod{}
	running := &corev1.Pod{Status: corev1.PodStatus{PodIP: "10.0.0.7"}}
	dual := &corev1.Pod{Status: corev1.PodStatus{PodIPs: []corev1.PodIP{{IP: "fd00::7"}}}}
	dualRelabelled := dual.DeepCopy()
	dualRelabelled.Labels = map[string]string{"version": "v2"}
	restarted := running.DeepCopy()
	restarted.ResourceVersion = "8"
	restarted.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", RestartCount: 1}}
	restarted.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
	relabelled := restarted.DeepCopy()
	relabelled.Labels = map[string]string{"version": "v2"}
	proxied := &corev1.Pod{}
	proxied.Namespace, proxied.Name = "ns", "with-proxy"
	podWithIP := podMatters(func(ns, name string) bool { return ns == "ns" && name == "with-proxy" })
	for _, c := range []struct {
		what string
		got  bool
		want bool
	}{
		{"a pod admitted without an IP", podWithIP.Create(event.CreateEvent{Object: pending}), false},
		{"a pod created with an IP", podWithIP.Create(event.CreateEvent{Object: running}), true},
		{"a label change of a pod without an IP", podWithIP.Update(event.UpdateEvent{ObjectOld: pending, ObjectNew: pending}), false},
		{"the update that gives a pod its IP", podWithIP.Update(event.UpdateEvent{ObjectOld: pending, ObjectNew: running}), true},
		{"an update of a pod with only IPv6 podIPs", podWithIP.Update(event.UpdateEvent{ObjectOld: dual, ObjectNew: dualRelabelled}), true},
		{"a container restart and readiness change of a pod with an IP", podWithIP.Update(event.UpdateEvent{ObjectOld: running, ObjectNew: restarted}), false},
		{"a label change of a pod with an IP", podWithIP.Update(event.UpdateEvent{ObjectOld: restarted, ObjectNew: relabelled}), true},
		{"an update that takes the IP away", podWithIP.Update(event.UpdateEvent{ObjectOld: running, ObjectNew: pending}), true},
		{"a pod without an IP that a connected proxy names", podWithIP.Create(event.CreateEvent{Object: proxied}), true},
		{"a deletion", podWithIP.Delete(event.DeleteEvent{Object: pending}), true},
	} {
		if c.got != c.want {
			t.Errorf("%s: rebuild %v, want %v", c.what, c.got, c.want)
		}
	}
}
