package mesh_test

import (
	"testing"

	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/test/bench"
)

// The start-up of the bench at a small size (200 services, 400 proxies):
// a reconcile before any proxy connected, then the proxies in two bursts.
// Before joins, each burst ran Compute for every connected proxy; now each
// is joined to the last result.
func startupMesh() (*bench.Mesh, []mesh.Node) {
	bm := bench.NewMesh(bench.Spec{Services: 200, Namespaces: 20, Seed: 1, RuleShare: 0.3})
	var nodes []mesh.Node
	for _, n := range benchNodes(bm) {
		if n.Metadata == nil { // sidecars only, as the bench runs
			nodes = append(nodes, n)
		}
	}
	return bm, nodes[:len(nodes)-1]
}

func BenchmarkStartupComputePerBurst(b *testing.B) {
	bm, nodes := startupMesh()
	bundle := bm.Bundle()
	for b.Loop() {
		mesh.Compute(bundle, nil)
		mesh.Compute(bundle, nodes[:160])
		mesh.Compute(bundle, nodes)
	}
}

func BenchmarkStartupJoinPerBurst(b *testing.B) {
	bm, nodes := startupMesh()
	bundle := bm.Bundle()
	for b.Loop() {
		first := mesh.Compute(bundle, nil)
		next, _ := mesh.Join(first, nodes[:160])
		mesh.Join(next, nodes[160:])
	}
}
