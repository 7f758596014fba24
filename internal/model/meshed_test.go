package model

import (
	"strings"
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

// A service's identities are the service accounts of the pods with a
// sidecar in its namespace that carry every label of its selector.
func TestServiceAccountsFollowTheSelector(t *testing.T) {
	pod := func(name, ns, labels, sa string, sidecar bool) string {
		containers := "[{name: app, image: x}]"
		if sidecar {
			containers = "[{name: app, image: x}, {name: istio-proxy, image: proxy}]"
		}
		return `
apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: ` + ns + `, labels: ` + labels + `}
spec: {serviceAccountName: ` + sa + `, containers: ` + containers + `}`
	}
	service := func(name, selector string) string {
		return `
apiVersion: v1
kind: Service
metadata: {name: ` + name + `, namespace: a}
spec:
  selector: ` + selector + `
  ports: [{name: http, port: 80}]`
	}
	m := Build(decode(t,
		service("web", "{app: web, tier: front}"),
		service("front", "{tier: front}"),
		service("none", "{app: nobody}"),
		pod("web-1", "a", "{app: web, tier: front}", "web", true),
		pod("web-2", "a", "{app: web}", "half", true),
		pod("web-3", "a", "{app: web, tier: front}", "plain", false),
		pod("api-1", "a", "{app: api, tier: front, extra: x}", "api", true),
		pod("web-far", "b", "{app: web, tier: front}", "far", true),
	))
	for host, want := range map[string][]string{
		"web.a.svc.cluster.local":   {"spiffe://cluster.local/ns/a/sa/web"},
		"front.a.svc.cluster.local": {"spiffe://cluster.local/ns/a/sa/api", "spiffe://cluster.local/ns/a/sa/web"},
		"none.a.svc.cluster.local":  {},
	} {
		s := m.Services[host]
		if s == nil {
			t.Fatalf("%s missing; have %v", host, m.Hostnames)
		}
		if strings.Join(s.ServiceAccounts, ",") != strings.Join(want, ",") {
			t.Errorf("%s: service accounts %v, want %v", host, s.ServiceAccounts, want)
		}
	}
}
