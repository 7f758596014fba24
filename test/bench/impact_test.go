package bench

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/console"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// impactCases are the changes the console's impact preview is checked
// with: one service's VirtualService weights, and one EndpointSlice's
// address.
func impactCases(m *Mesh, b *bundle.Bundle) map[string]*bundle.Bundle {
	svc := m.WithRules()[0]
	vsChange := &bundle.Bundle{}
	for _, vs := range b.VirtualServices {
		if vs.Name == svc.Name && vs.Namespace == svc.Namespace {
			vs = *vs.DeepCopy()
			last := len(vs.Spec.HTTP) - 1
			vs.Spec.HTTP[last].Route[0].Weight, vs.Spec.HTTP[last].Route[1].Weight = 11, 89
			vsChange.VirtualServices = append(vsChange.VirtualServices, vs)
		}
	}
	epChange := &bundle.Bundle{}
	for _, s := range b.EndpointSlices {
		if s.Namespace == svc.Namespace && strings.HasPrefix(s.Name, svc.Name) {
			s = *s.DeepCopy()
			s.Endpoints[0].Addresses = []string{"10.254.254.254"}
			epChange.EndpointSlices = append(epChange.EndpointSlices, s)
			break
		}
	}
	return map[string]*bundle.Bundle{"virtualservice": vsChange, "endpoint": epChange}
}

// TestImpactPreviewMatchesFullTranslation: on a small synthetic mesh, the
// preview names every proxy whose translation differs, and only those.
func TestImpactPreviewMatchesFullTranslation(t *testing.T) {
	m := NewMesh(Spec{Services: 40, Namespaces: 4, Seed: 7, RuleShare: 0.3})
	b := m.Bundle()
	nodes := meshNodes(m, len(m.Pods))
	cur := console.Mesh{Bundle: b, Nodes: nodes, Result: mesh.Compute(b, nodes)}
	for name, change := range impactCases(m, b) {
		t.Run(name, func(t *testing.T) {
			if len(change.VirtualServices)+len(change.EndpointSlices) != 1 {
				t.Fatalf("the case has no object to change: %+v", change)
			}
			imp := console.ComputeImpact(cur, change)
			after := mesh.Compute(console.Merge(b, change), nodes)
			listed := map[string]bool{}
			for _, c := range imp.Changes {
				for _, p := range c.Proxies {
					listed[p] = true
				}
			}
			differs := 0
			for _, n := range nodes {
				d := !sameResources(cur.Result.Resources[n.ID], after.Resources[n.ID])
				if d {
					differs++
				}
				id, err := names.ParseNodeID(n.ID)
				if err != nil {
					t.Fatal(err)
				}
				name := id.Pod + "." + id.Namespace
				if d != listed[name] {
					t.Errorf("%s: differs in a full translation %v, listed %v", name, d, listed[name])
				}
			}
			if differs == 0 || imp.Unchanged != len(nodes)-differs {
				t.Errorf("%d proxies differ, %d unchanged of %d: the case changes nothing, or the count is off", differs, imp.Unchanged, len(nodes))
			}
		})
	}
}

// BenchmarkImpactPreview is one preview at the reference size (1000
// services, 2000 sidecars): the full translation with the change and the
// comparison.
func BenchmarkImpactPreview(b *testing.B) {
	m := NewMesh(referenceSpec)
	bu := m.Bundle()
	nodes := meshNodes(m, len(m.Pods))
	cur := console.Mesh{Bundle: bu, Nodes: nodes, Result: mesh.Compute(bu, nodes)}
	for name, change := range impactCases(m, bu) {
		b.Run(name, func(b *testing.B) {
			var imp console.Impact
			for b.Loop() {
				imp = console.ComputeImpact(cur, change)
			}
			proxies := 0
			for _, c := range imp.Changes {
				proxies += len(c.Proxies)
			}
			b.ReportMetric(float64(proxies), "proxies")
		})
	}
}

// sameResources compares two proxies' resources with proto.Equal, name by
// name (independently of the preview's comparison of encodings).
func sameResources(a, b *xds.Resources) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sameSet(a.Listeners, b.Listeners) && sameSet(a.Routes, b.Routes) && sameSet(a.Clusters, b.Clusters) &&
		sameSet(a.Secrets, b.Secrets) && sameEndpoints(a, b)
}

func sameSet[T interface {
	proto.Message
	GetName() string
}](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	byName := map[string]T{}
	for _, x := range a {
		byName[x.GetName()] = x
	}
	for _, y := range b {
		x, ok := byName[y.GetName()]
		if !ok || !proto.Equal(x, y) {
			return false
		}
	}
	return true
}

func sameEndpoints(a, b *xds.Resources) bool {
	if len(a.Endpoints) != len(b.Endpoints) {
		return false
	}
	byName := map[string]proto.Message{}
	for _, x := range a.Endpoints {
		byName[x.GetClusterName()] = x
	}
	for _, y := range b.Endpoints {
		x, ok := byName[y.GetClusterName()]
		if !ok || !proto.Equal(x, y) {
			return false
		}
	}
	return true
}
