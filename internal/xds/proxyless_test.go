package xds

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

func generateProxyless(t *testing.T, docs ...string) *Resources {
	t.Helper()
	b := &bundle.Bundle{}
	if _, err := b.Decode("test.yaml", strings.NewReader(strings.Join(append([]string{mesh}, docs...), "\n---\n"))); err != nil {
		t.Fatal(err)
	}
	m := model.Build(b)
	return GenerateProxyless(m, Proxy{Type: names.Sidecar, Namespace: "default", Labels: map[string]string{"app": "client"}})
}

const faultVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 50}}}
    route: [{destination: {host: reviews}}]
`

// Adding a fault must change routes only: the listeners (and their
// filters) are byte-identical with and without it, so the client can never
// see a route with a fault before the filter that applies it.
func TestProxylessFaultChangesRoutesOnly(t *testing.T) {
	without, with := generateProxyless(t), generateProxyless(t, faultVS)
	if len(without.Listeners) == 0 || len(without.Listeners) != len(with.Listeners) {
		t.Fatalf("listeners: %d without the fault, %d with", len(without.Listeners), len(with.Listeners))
	}
	for i := range without.Listeners {
		if !proto.Equal(without.Listeners[i], with.Listeners[i]) {
			t.Errorf("listener %s changed with a fault:\n%v\n%v", with.Listeners[i].Name, without.Listeners[i], with.Listeners[i])
		}
	}
	changed := false
	for i := range without.Routes {
		changed = changed || !proto.Equal(without.Routes[i], with.Routes[i])
	}
	if !changed {
		t.Error("the fault changed no route configuration")
	}
}

const dnsEntry = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext, namespace: default}
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: https, protocol: HTTPS}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - match: [{headers: {x-ext: {exact: "1"}}}]
    route: [{destination: {host: api.example.com}}]
  - route:
    - {destination: {host: api.example.com}, weight: 30}
    - {destination: {host: reviews, port: {number: 9080}}, weight: 70}
`

// A route to a cluster gRPC does not get (a DNS ServiceEntry) would leave
// the client waiting for that cluster; the output stays consistent and
// says what was left out.
func TestProxylessRoutesOnlyToClustersItGets(t *testing.T) {
	r := generateProxyless(t, dnsEntry)
	if errs := CheckConsistency(r); len(errs) > 0 {
		t.Errorf("inconsistent proxyless output: %v", errs)
	}
	for _, c := range r.Clusters {
		if c.Name == "outbound|443||api.example.com" {
			t.Error("gRPC got a STRICT_DNS cluster")
		}
	}
	var reported bool
	for _, p := range r.Problems {
		if p.Object.Kind == "ServiceEntry" && p.Object.Name == "ext" && strings.Contains(p.Reason, "outbound|443||api.example.com left out for proxyless gRPC clients") {
			reported = true
		}
	}
	if !reported {
		t.Errorf("the left-out cluster is not reported: %v", r.Problems)
	}
	for _, rc := range r.Routes {
		if rc.Name != "reviews.default.svc.cluster.local:9080" {
			continue
		}
		routes := rc.VirtualHosts[0].Routes
		if len(routes) != 2 {
			t.Fatalf("want both routes kept (a dropped route lets its calls fall through), got %d", len(routes))
		}
		if routes[0].GetDirectResponse().GetStatus() != 503 {
			t.Errorf("the route to the left-out host should fail its calls: %v", routes[0])
		}
		split := routes[1].GetRoute().GetWeightedClusters().GetClusters()
		if len(split) != 1 || split[0].Name != "outbound|9080||reviews.default.svc.cluster.local" {
			t.Errorf("the split should keep its reachable destination only: %v", split)
		}
	}
}
