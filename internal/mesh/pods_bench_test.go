package mesh_test

import (
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/test/bench"
)

// Pod churn at the bench's small size (200 services, 400 sidecars): 40
// pods recreated under new IPs, their slices updated and their proxies
// reconnected under the new node ids; before the pod path this was a
// full Compute.
func churnMesh(b *testing.B) (before *mesh.Result, after *bundle.Bundle, nodes []mesh.Node) {
	bm := bench.NewMesh(bench.Spec{Services: 200, Namespaces: 20, Seed: 1, RuleShare: 0.3})
	sidecars := func() []mesh.Node {
		var out []mesh.Node
		for _, n := range benchNodes(bm) {
			if n.Metadata == nil {
				out = append(out, n)
			}
		}
		return out
	}
	before = mesh.Compute(bm.Bundle(), sidecars())
	for i := range 40 {
		bm.Pods[i*len(bm.Pods)/40].IP = bench.ChurnIP(i)
	}
	after, nodes = bm.Bundle(), sidecars()
	if _, ok := mesh.ComputePodsSince(after, nodes, before); !ok {
		b.Fatal("the pod path declined the churn")
	}
	return before, after, nodes
}

func BenchmarkPodChurnCompute(b *testing.B) {
	_, after, nodes := churnMesh(b)
	for b.Loop() {
		mesh.Compute(after, nodes)
	}
}

func BenchmarkPodChurnPodsSince(b *testing.B) {
	before, after, nodes := churnMesh(b)
	for b.Loop() {
		mesh.ComputePodsSince(after, nodes, before)
	}
}

// One pod moved to a new IP, its own proxy not connected: the endpoint
// path and the pod path both recompute one service's load assignments;
// the controller now tries the pod path first (its result can be joined
// and pod-changed again), so it must not cost much more.
func movedMesh(b *testing.B) (before *mesh.Result, after *bundle.Bundle, nodes []mesh.Node) {
	bm := bench.NewMesh(bench.Spec{Services: 200, Namespaces: 20, Seed: 1, RuleShare: 0.3})
	for _, n := range benchNodes(bm) {
		if n.Metadata == nil && !strings.Contains(n.ID, "~"+bm.Pods[0].IP+"~") && !strings.Contains(n.ID, "~gone.") {
			nodes = append(nodes, n)
		}
	}
	before = mesh.Compute(bm.Bundle(), nodes)
	bm.Pods[0].IP = bench.ChurnIP(0)
	return before, bm.Bundle(), nodes
}

func BenchmarkPodMovedEndpointsSince(b *testing.B) {
	before, after, nodes := movedMesh(b)
	for b.Loop() {
		if _, ok := mesh.ComputeEndpointsSince(after, nodes, before.Resources, before.Model); !ok {
			b.Fatal("declined")
		}
	}
}

func BenchmarkPodMovedPodsSince(b *testing.B) {
	before, after, nodes := movedMesh(b)
	for b.Loop() {
		if _, ok := mesh.ComputePodsSince(after, nodes, before); !ok {
			b.Fatal("declined")
		}
	}
}
