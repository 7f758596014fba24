package model

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

// Istio's precedence: the oldest matching selector Sidecar, else the
// namespace's selector-less one (the oldest; later ones are reported),
// else the root namespace's.
func TestSidecarForPrecedence(t *testing.T) {
	m := Build(decode(t, `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: root, namespace: istio-system}
spec: {egress: [{hosts: ["./*"]}], outboundTrafficPolicy: {mode: REGISTRY_ONLY}}`, `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ns, namespace: prod, creationTimestamp: "2024-01-01T00:00:00Z"}
spec: {egress: [{hosts: ["./*"]}]}`, `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: ns-later, namespace: prod, creationTimestamp: "2024-03-01T00:00:00Z"}
spec: {egress: [{hosts: ["*/*"]}]}`, `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web-old, namespace: prod, creationTimestamp: "2024-01-01T00:00:00Z"}
spec: {workloadSelector: {labels: {app: web}}, egress: [{hosts: ["~/*"]}]}`, `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web-new, namespace: prod, creationTimestamp: "2024-02-01T00:00:00Z"}
spec: {workloadSelector: {labels: {tier: front}}, egress: [{hosts: ["*/*"]}]}`, `
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: prod, labels: {app: web, tier: front}}
spec: {containers: [{name: app, image: x}]}
status: {podIP: 10.0.0.1}`))
	for _, tc := range []struct {
		ns     string
		labels map[string]string
		want   string
	}{
		{"prod", map[string]string{"app": "web", "tier": "front"}, "web-old"},
		{"prod", map[string]string{"tier": "front"}, "web-new"},
		{"prod", map[string]string{"app": "db"}, "ns"},
		{"dev", map[string]string{"app": "web"}, "root"},
	} {
		got := m.SidecarFor(tc.ns, tc.labels)
		if got == nil || got.Ref.Name != tc.want {
			t.Errorf("SidecarFor(%s, %v) = %v, want %s", tc.ns, tc.labels, got, tc.want)
		}
	}
	if !m.RegistryOnly(m.SidecarFor("dev", nil)) || m.RegistryOnly(m.SidecarFor("prod", nil)) || m.RegistryOnly(nil) {
		t.Errorf("outbound policy: root's REGISTRY_ONLY applies only under it; the mesh default is ALLOW_ANY")
	}
	want := map[string]string{
		"prod/ns-later": "workloadSelector: namespace prod already has Sidecar ns without a workloadSelector, which is older; only that one applies",
		"prod/web-new":  "workloadSelector: also selects pod prod/web-1, which Sidecar web-old (older) selects; only that one applies to it",
	}
	for name, line := range want {
		ns, n, _ := strings.Cut(name, "/")
		probs := m.Status.Problems(ObjectRef{Kind: "Sidecar", NamespacedName: types.NamespacedName{Namespace: ns, Name: n}})
		if len(probs) != 1 || probs[0].Field+": "+probs[0].Reason != line {
			t.Errorf("Sidecar %s problems %v, want %q", name, probs, line)
		}
	}
}

func TestSidecarAllows(t *testing.T) {
	s := &Sidecar{Egress: []EgressHost{
		{Namespace: ".", Host: "*"},
		{Namespace: "*", Host: "*.example.com"},
		{Namespace: "shop", Host: "goods.shop.svc.cluster.local"},
		{Namespace: "~", Host: "*"},
	}}
	for _, tc := range []struct {
		hostNS, host string
		want         bool
	}{
		{"app", "near.app.svc.cluster.local", true},          // ./*
		{"other", "far.other.svc.cluster.local", false},      // not listed
		{"other", "api.example.com", true},                   // */*.example.com
		{"other", "*.api.example.com", true},                 // a VirtualService's wildcard inside it
		{"other", "*.com", true},                             // a VirtualService's wildcard covering it
		{"shop", "goods.shop.svc.cluster.local", true},       // shop/goods
		{"shop", "GOODS.shop.svc.cluster.local", true},       // hosts compare in lower case
		{"shop", "basket.shop.svc.cluster.local", false},     // shop/ lists goods only
		{"elsewhere", "goods.shop.svc.cluster.local", false}, // namespace must match
	} {
		if got := s.Allows("app", tc.hostNS, tc.host); got != tc.want {
			t.Errorf("Allows(app, %s, %s) = %v, want %v", tc.hostNS, tc.host, got, tc.want)
		}
	}
	if (&Sidecar{Egress: []EgressHost{{Namespace: "~", Host: "*"}}}).Allows("app", "app", "near.app.svc.cluster.local") {
		t.Errorf("~/* allows a host")
	}
}

// A Sidecar without egress (only a policy, say) keeps every host in scope,
// as Istio's default egress */* does.
func TestSidecarWithoutEgressKeepsEveryHost(t *testing.T) {
	m := Build(decode(t, `
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: strict, namespace: prod}
spec: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}`))
	s := m.SidecarFor("prod", nil)
	if s == nil || !s.Allows("prod", "other", "far.other.svc.cluster.local") || !m.RegistryOnly(s) {
		t.Errorf("Sidecar without egress: %+v; want every host in scope under REGISTRY_ONLY", s)
	}
}
