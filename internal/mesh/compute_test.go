package mesh_test

import (
	"testing"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/test/bench"
)

// TestComputeEqualsTranslatingEachProxy: Compute translates halves in
// parallel and shares them between groups; each proxy must still get what
// translating it alone gives. Run with -race, it also checks that the
// parallel translations only read the model.
func TestComputeEqualsTranslatingEachProxy(t *testing.T) {
	m := bench.NewMesh(bench.Spec{Services: 60, Namespaces: 5, Seed: 3, RuleShare: 0.4})
	b := m.Bundle()
	var nodes []mesh.Node
	for _, p := range m.Pods {
		nodes = append(nodes, mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: p.IP, Pod: p.Name, Namespace: p.Namespace, Domain: defaults.DomainSuffix})})
	}
	res := mesh.Compute(b, nodes)
	if len(res.Resources) != len(nodes) || len(res.Waiting) != 0 {
		t.Fatalf("%d nodes configured, %d waiting; want all %d configured", len(res.Resources), len(res.Waiting), len(nodes))
	}
	alone := model.Build(b)
	for i, n := range nodes {
		want := xds.Generate(alone, bench.ProxyFor(alone, m.Pods[i]))
		got := res.Resources[n.ID]
		if !got.Equal(want) {
			t.Fatalf("%s: Compute's resources differ from translating the proxy alone", n.ID)
		}
	}
}
