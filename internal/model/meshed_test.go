package model

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestHasSidecar(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	for _, tc := range []struct {
		name string
		pod  corev1.Pod
		want bool
	}{
		{"plain", corev1.Pod{}, false},
		{"istio's annotation", corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"sidecar.istio.io/status": "{}"}}}, true},
		{"sailplane injected", corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"sidecar.sailplane.io/status": "injected: pod label sidecar.istio.io/inject=true"}}}, true},
		{"sailplane not injected", corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"sidecar.sailplane.io/status": "not injected: hostNetwork"}}}, false},
		{"istio-proxy container", corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, {Name: "istio-proxy"}}}}, true},
		{"native sidecar", corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "istio-proxy", RestartPolicy: ptr.To(always)}}}}, true},
		{"istio-proxy as a plain init container", corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "istio-proxy"}}}}, false},
	} {
		if got := hasSidecar(&tc.pod); got != tc.want {
			t.Errorf("%s: hasSidecar %v, want %v", tc.name, got, tc.want)
		}
	}
}
