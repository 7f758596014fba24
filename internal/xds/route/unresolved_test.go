package route

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// A destination the caller names a cluster for although it cannot resolve
// it (a host outside the registry) keeps its route, weight and mirror, and
// is reported; one without a cluster name is dropped, as before.
func TestUnresolvedDestinationKeepsItsCluster(t *testing.T) {
	p := sidecarParams(networkingv1.HTTPRoute{
		Route: []networkingv1.HTTPRouteDestination{
			{Destination: networkingv1.Destination{Host: "reviews"}, Weight: 80},
			{Destination: networkingv1.Destination{Host: "ghost.example.com"}, Weight: 20},
			{Destination: networkingv1.Destination{Host: "reviews", Subset: "missing"}, Weight: 10},
		},
		Mirror: &networkingv1.Destination{Host: "ghost.example.com"},
	})
	p.ClusterFor = func(owner types.NamespacedName, d networkingv1.Destination) (string, error) {
		if d.Host == "ghost.example.com" {
			return "outbound|9080||ghost.example.com", errors.New(`host "ghost.example.com" not found in the service registry`)
		}
		return testClusterFor(owner, d)
	}
	routes, errs := Build(p)
	if len(routes) != 1 || len(errs) != 3 {
		t.Fatalf("%d routes, errors %v; want 1 route and 3 errors (two for the ghost, one for the subset)", len(routes), errs)
	}
	act := routes[0].GetRoute()
	got := map[string]uint32{}
	for _, c := range act.GetWeightedClusters().GetClusters() {
		got[c.Name] = c.Weight.GetValue()
	}
	want := map[string]uint32{"outbound|9080||reviews.default.svc.cluster.local": 80, "outbound|9080||ghost.example.com": 20}
	if len(got) != len(want) || got["outbound|9080||ghost.example.com"] != 20 || got["outbound|9080||reviews.default.svc.cluster.local"] != 80 {
		t.Errorf("weighted clusters %v, want %v", got, want)
	}
	if m := act.GetRequestMirrorPolicies(); len(m) != 1 || m[0].Cluster != "outbound|9080||ghost.example.com" {
		t.Errorf("mirrors %v, want the ghost's cluster", m)
	}
}
