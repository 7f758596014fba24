package bench

import (
	"fmt"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// withExtraEndpoint is b with one more address in its first EndpointSlice:
// the benchmark's endpoint change.
func withExtraEndpoint(b *bundle.Bundle) *bundle.Bundle {
	next := *b
	next.EndpointSlices = append([]discoveryv1.EndpointSlice(nil), b.EndpointSlices...)
	s := next.EndpointSlices[0].DeepCopy()
	ep := s.Endpoints[0]
	ep.Addresses = []string{"10.31.255.254"}
	ep.TargetRef = nil
	s.Endpoints = append(s.Endpoints, ep)
	next.EndpointSlices[0] = *s
	return &next
}

// BenchmarkEndpointChange is one endpoint added at the reference size,
// through the endpoint-only path and one publish's snapshots (a builder
// that has seen the previous result, as the reconciler's): "every"
// recomputes every load assignment, "scoped" only the changed service's;
// "scoped-compute" is scoped without the snapshots: model.Build and
// mesh.ComputeEndpointsSince alone.
func BenchmarkEndpointChange(b *testing.B) {
	m := NewMesh(referenceSpec)
	bu := m.Bundle()
	nodes := meshNodes(m, len(m.Pods))
	first := mesh.Compute(bu, nodes)
	changed := withExtraEndpoint(bu)
	for _, c := range []struct {
		name       string
		prev, snap bool
	}{{"every", false, true}, {"scoped", true, true}, {"scoped-compute", true, false}} {
		b.Run(c.name, func(b *testing.B) {
			builder := xdsserver.NewBuilder()
			snapshots(b, builder, first)
			b.ReportAllocs()
			cpu := meterCPU()
			for b.Loop() {
				var res *mesh.Result
				var ok bool
				if c.prev {
					res, ok = mesh.ComputeEndpointsSince(changed, nodes, first.Resources, first.Model)
				} else {
					res, ok = mesh.ComputeEndpoints(changed, nodes, first.Resources)
				}
				if !ok {
					b.Fatal("the fast path refused")
				}
				if c.snap {
					snapshots(b, builder, res)
				}
			}
			cpu.report(b)
		})
	}
}

func snapshots(b *testing.B, builder *xdsserver.Builder, res *mesh.Result) {
	done := map[*xds.Resources]bool{}
	for _, rs := range res.Resources {
		if done[rs] {
			continue
		}
		done[rs] = true
		if _, err := builder.Snapshot(rs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlaintextVariant is xds.WithoutSDS of one whole group at the
// reference size: what a publish builds for a node that proved no
// identity (a plaintext-port proxy, or one gone before its snapshot).
func BenchmarkPlaintextVariant(b *testing.B) {
	m := NewMesh(referenceSpec)
	res := mesh.Compute(m.Bundle(), meshNodes(m, 1))
	var rs *xds.Resources
	for _, r := range res.Resources {
		rs = r
	}
	b.ReportAllocs()
	for b.Loop() {
		xds.WithoutSDS(rs)
	}
}

// BenchmarkPodsPath is the pods path (mesh.ComputePodsSince) at the
// reference size, unscoped and scoped by Sidecars, each change computed
// from the previous change's result as the reconciler chains them: one
// endpoint added, then removed, and so on. Without snapshots.
func BenchmarkPodsPath(b *testing.B) {
	for _, scoped := range []int{0, 10} {
		spec := referenceSpec
		spec.Scoped = scoped
		m := NewMesh(spec)
		bu := m.Bundle()
		nodes := meshNodes(m, len(m.Pods))
		prev := mesh.Compute(bu, nodes)
		bundles := []*bundle.Bundle{withExtraEndpoint(bu), bu}
		b.Run(fmt.Sprintf("scoped-%d", scoped), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				res, ok := mesh.ComputePodsSince(bundles[i%2], nodes, prev)
				if !ok {
					b.Fatal("the pods path refused")
				}
				prev, i = res, i+1
			}
		})
	}
}
