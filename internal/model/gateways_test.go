package model

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
)

func TestServerHostsAndBinding(t *testing.T) {
	hosts := ParseServerHosts([]string{"*/a.example.com", "./b.example.com", "shop/c.example.com", "D.example.com", "*/*"}, "istio-system")
	want := []ServerHost{{"", "a.example.com"}, {"istio-system", "b.example.com"}, {"shop", "c.example.com"}, {"", "d.example.com"}, {"", "*"}}
	for i := range want {
		if hosts[i] != want[i] {
			t.Errorf("host %d: %+v, want %+v", i, hosts[i], want[i])
		}
	}
	vs := func(ns string, h ...string) *VirtualService {
		v := &VirtualService{Ref: types.NamespacedName{Namespace: ns, Name: "v"}}
		v.Spec = newVSSpec(h)
		return v
	}
	server := ParseServerHosts([]string{"./admin.example.com", "*.shop.example.com", "shop/goods.example.com"}, "istio-system")
	for _, tc := range []struct {
		vs   *VirtualService
		want string
	}{
		{vs("default", "*"), "*.shop.example.com"},
		{vs("istio-system", "*"), "*.shop.example.com,admin.example.com"},
		{vs("shop", "*.example.com"), "*.shop.example.com,goods.example.com"},
		{vs("default", "a.shop.example.com", "other.org"), "a.shop.example.com"},
		{vs("default", "*.eu.shop.example.com"), "*.eu.shop.example.com"},
	} {
		if got := strings.Join(BoundHosts(server, tc.vs), ","); got != tc.want {
			t.Errorf("%s %v: bound %q, want %q", tc.vs.Ref.Namespace, tc.vs.Spec.Hosts, got, tc.want)
		}
	}
	if got := GatewayHosts(vs("shop", "goods", "goods.shop", "Web.Example.com")); strings.Join(got, ",") != "goods.shop.svc.cluster.local,goods.shop,web.example.com" {
		t.Errorf("gateway hosts %v: only dotless names are completed on gateways", got)
	}
}

func TestVirtualServicesNamingMissingGatewaysGetProblems(t *testing.T) {
	m := build(t, `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public, namespace: istio-system}
spec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: local, namespace: default}
spec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: default}
spec:
  hosts: [a.example.com]
  gateways: [mesh, istio-system/public, ./local, local, public.istio-system.svc.cluster.local, typo]
  http:
  - match: [{gateways: [mesh, gone]}]
    route: [{destination: {host: a.example.com}}]
  tcp:
  - match: [{gateways: [other/x]}]
    route: [{destination: {host: a.example.com}}]
`)
	got := strings.Join(m.Status.Lines(), "\n")
	for _, want := range []string{
		"VirtualService default/a: gateways[5]: Gateway default/typo not found",
		"VirtualService default/a: http[0].match[0].gateways[1]: Gateway default/gone not found",
		"VirtualService default/a: tcp[0].match[0].gateways[0]: Gateway other/x not found",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "not found; the rules"); n != 3 {
		t.Errorf("want 3 missing-gateway problems, got %d:\n%s", n, got)
	}
}

func build(t *testing.T, docs string) *Model {
	t.Helper()
	b := &bundle.Bundle{}
	if _, err := b.Decode("test.yaml", strings.NewReader(docs)); err != nil {
		t.Fatal(err)
	}
	return Build(b)
}

func newVSSpec(hosts []string) *networkingv1.VirtualServiceSpec {
	return &networkingv1.VirtualServiceSpec{Hosts: hosts}
}
