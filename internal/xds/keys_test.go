package xds

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// TestLabelEncodingIsUnambiguous: labels from a plaintext node's metadata
// are arbitrary strings; none may read as another label, and the outbound
// generator sees exactly the labels the key holds.
func TestLabelEncodingIsUnambiguous(t *testing.T) {
	forged := map[string]string{"app": `x",version="v2`}
	honest := map[string]string{"app": "x", "version": "v2"}
	keys := []string{"app", "version"}
	if encodeLabels(keys, forged) == encodeLabels(keys, honest) {
		t.Fatal("a label value encodes like two labels")
	}
	for _, labels := range []map[string]string{forged, honest, {}, {"app": ""}, {"version": "a=b,c|d\n"}} {
		got := decodeLabels(encodeLabels(keys, labels))
		if len(got) != len(labels) {
			t.Errorf("%q decoded as %q", labels, got)
		}
		for k, v := range labels {
			if got[k] != v {
				t.Errorf("%q decoded as %q", labels, got)
			}
		}
	}
}

// TestOutboundInputHoldsOnlyWhatTheHalfReads: the pod, the address and
// labels no rule matches sources on are not part of the outbound input;
// source labels, the generator and its certificate flag are; the proxy a
// key-built generator sees carries nothing else.
func TestOutboundInputHoldsOnlyWhatTheHalfReads(t *testing.T) {
	m := &model.Model{SourceLabelKeys: []string{"version"}}
	a := Proxy{Type: names.Sidecar, Namespace: "shop", Labels: map[string]string{"app": "cart", "version": "v1"}, IP: "10.0.0.1",
		Workload: &model.Workload{Ref: types.NamespacedName{Namespace: "shop", Name: "cart-0"}}}
	b := a
	b.Labels, b.IP, b.Workload = map[string]string{"app": "kiosk", "version": "v1"}, "10.0.0.2", nil
	if OutboundOf(m, a) != OutboundOf(m, b) {
		t.Errorf("proxies differing only in pod, address and non-source labels: %v != %v", OutboundOf(m, a), OutboundOf(m, b))
	}
	for name, change := range map[string]func(*Proxy){
		"source label": func(p *Proxy) { p.Labels = map[string]string{"version": "v2"} },
		"proxyless":    func(p *Proxy) { p.Proxyless = true },
		"namespace":    func(p *Proxy) { p.Namespace = "other" },
	} {
		c := a
		change(&c)
		if OutboundOf(m, a) == OutboundOf(m, c) {
			t.Errorf("a different %s shares the outbound input %v", name, OutboundOf(m, a))
		}
	}
	grpc, certs := a, a
	grpc.Proxyless, certs.Proxyless, certs.CertProviders = true, true, true
	if OutboundOf(m, grpc) == OutboundOf(m, certs) || OutboundOf(m, grpc).String() == OutboundOf(m, certs).String() {
		t.Error("proxyless nodes with and without certificates share an outbound input")
	}
	seen := OutboundOf(m, a).proxy()
	if seen.Workload != nil || seen.IP != "" || len(seen.Labels) != 1 || seen.Labels["version"] != "v1" {
		t.Errorf("the outbound generator sees %+v", seen)
	}
}

// TestGroupInputSeparatesProxylessPods: a proxyless node's server
// listeners are named by its pod's address, so replicas do not share a
// group; Envoy replicas do.
func TestGroupInputSeparatesProxylessPods(t *testing.T) {
	pod := func(name string) *model.Workload {
		return &model.Workload{Ref: types.NamespacedName{Namespace: "shop", Name: name}}
	}
	a := Proxy{Type: names.Sidecar, Namespace: "shop", Labels: map[string]string{"app": "cart"}, Workload: pod("cart-0")}
	b := a
	b.Workload = pod("cart-1")
	if GroupOf(a) != GroupOf(b) {
		t.Error("Envoy replicas must share a group")
	}
	a.Proxyless, b.Proxyless = true, true
	if GroupOf(a) == GroupOf(b) || GroupKey(a) == GroupKey(b) {
		t.Error("proxyless replicas must not share a group")
	}
	c := a
	c.CertProviders = true
	if GroupOf(a) == GroupOf(c) {
		t.Error("a proxyless node with certificates shares a group with one without")
	}
}
