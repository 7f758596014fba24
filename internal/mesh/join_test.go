package mesh_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/test/bench"
)

// TestJoinInBatchesEqualsCompute: proxies that connect after a reconcile
// and are joined a batch at a time, in random orders and batch sizes, end
// with exactly what one Compute for all of them gives: the same resources,
// shared by the same nodes, the same nodes waiting.
func TestJoinInBatchesEqualsCompute(t *testing.T) {
	bm := bench.NewMesh(bench.Spec{Services: 16, Namespaces: 3, Seed: 5, RuleShare: 0.4})
	b := bm.Bundle()
	nodes := benchNodes(bm)
	want := mesh.Compute(b, nodes)
	if len(want.Waiting) != 1 || len(want.Resources) != len(nodes)-1 {
		t.Fatalf("Compute configured %d nodes, %d waiting; want all but the ghost", len(want.Resources), len(want.Waiting))
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 30 {
		order := rng.Perm(len(nodes))
		shuffled := make([]mesh.Node, len(nodes))
		for i, j := range order {
			shuffled[i] = nodes[j]
		}
		first := rng.IntN(len(nodes) / 2) // possibly none: a reconcile before any proxy connected
		got := joinInBatches(t, mesh.Compute(b, shuffled[:first]), shuffled[first:], rng)
		if err := sameResult(want, got, nodes); err != nil {
			t.Fatalf("round %d (first reconcile %d nodes): %v", round, first, err)
		}
		if got.NewProblems != 0 {
			t.Fatalf("round %d: joins found %d problems the status lacks, in a mesh whose status has none of them", round, got.NewProblems)
		}
	}
}

// TestJoinLeavesPrevAlone: Join is a value in, a value out.
func TestJoinLeavesPrevAlone(t *testing.T) {
	bm := bench.NewMesh(bench.Spec{Services: 10, Namespaces: 2, Seed: 1, RuleShare: 0.5})
	nodes := benchNodes(bm)
	prev := mesh.Compute(bm.Bundle(), nodes[:3])
	before := len(prev.Resources)
	next, ok := mesh.Join(prev, nodes[3:])
	if !ok {
		t.Fatal("Join refused Compute's result")
	}
	if len(prev.Resources) != before || len(next.Resources) != len(nodes)-countWaiting(next) {
		t.Fatalf("prev has %d nodes (had %d), next %d", len(prev.Resources), before, len(next.Resources))
	}
	if next.Model != prev.Model {
		t.Fatal("a join must configure from the model it was given")
	}
}

// TestJoinRefusesAFastPathResult: the endpoint-only path's groups are not
// its model's translations, so nothing may be joined to them.
func TestJoinRefusesAFastPathResult(t *testing.T) {
	bm := bench.NewMesh(bench.Spec{Services: 6, Namespaces: 2, Seed: 2})
	nodes := benchNodes(bm)
	full := mesh.Compute(bm.Bundle(), nodes[:2])
	eps, ok := mesh.ComputeEndpointsSince(bm.Bundle(), nodes[:2], full.Resources, full.Model)
	if !ok {
		t.Fatal("the endpoint-only path refused an unchanged mesh")
	}
	if _, ok := mesh.Join(eps, nodes[2:]); ok {
		t.Fatal("Join accepted a result without translations")
	}
	if _, ok := mesh.Join(nil, nodes); ok {
		t.Fatal("Join accepted no previous result")
	}
}

func countWaiting(r *mesh.Result) int { return len(r.Waiting) }

// joinInBatches joins rest to prev in random batches.
func joinInBatches(t *testing.T, prev *mesh.Result, rest []mesh.Node, rng *rand.Rand) *mesh.Result {
	t.Helper()
	all := prev
	problems := 0
	for len(rest) > 0 {
		n := 1 + rng.IntN(min(len(rest), 7))
		next, ok := mesh.Join(all, rest[:n])
		if !ok {
			t.Fatal("Join refused a result it or Compute made")
		}
		problems += next.NewProblems
		all, rest = next, rest[n:]
	}
	all.NewProblems = problems
	return all
}

// sameResult compares two results for the nodes: equal resources, equal
// sharing (two nodes hold one pointer in a exactly when they do in b), the
// same waiting nodes.
func sameResult(a, b *mesh.Result, nodes []mesh.Node) error {
	if fmt.Sprint(a.Waiting) != fmt.Sprint(b.Waiting) {
		return fmt.Errorf("waiting %v, want %v", b.Waiting, a.Waiting)
	}
	if len(a.Resources) != len(b.Resources) {
		return fmt.Errorf("%d nodes configured, want %d", len(b.Resources), len(a.Resources))
	}
	if a.Groups != b.Groups {
		return fmt.Errorf("%d groups, want %d", b.Groups, a.Groups)
	}
	for i, n := range nodes {
		ra, rb := a.Resources[n.ID], b.Resources[n.ID]
		if (ra == nil) != (rb == nil) {
			return fmt.Errorf("%s: configured %v, want %v", n.ID, rb != nil, ra != nil)
		}
		if ra == nil {
			continue
		}
		if !ra.Equal(rb) {
			return fmt.Errorf("%s: resources differ from Compute's", n.ID)
		}
		for _, o := range nodes[:i] {
			if (a.Resources[o.ID] == ra) != (b.Resources[o.ID] == rb) {
				return fmt.Errorf("%s and %s: shared %v, want %v", n.ID, o.ID, b.Resources[o.ID] == rb, a.Resources[o.ID] == ra)
			}
		}
	}
	return nil
}

// benchNodes: every pod's sidecar, a proxyless client in every fifth pod
// (plaintext, so without certificates), and a node whose pod does not
// exist (it waits).
func benchNodes(bm *bench.Mesh) []mesh.Node {
	var nodes []mesh.Node
	grpc := &structpb.Struct{Fields: map[string]*structpb.Value{mesh.MetaGenerator: structpb.NewStringValue(mesh.GeneratorGRPC)}}
	for i, p := range bm.Pods {
		id := names.Node{Type: names.Sidecar, IP: p.IP, Pod: p.Name, Namespace: p.Namespace, Domain: defaults.DomainSuffix}
		nodes = append(nodes, mesh.Node{ID: names.NodeID(id)})
		if i%5 == 0 {
			id.IP = "10.250.0." + fmt.Sprint(i%250)
			nodes = append(nodes, mesh.Node{ID: names.NodeID(id) + "-grpc", Metadata: grpc})
		}
	}
	ghost := names.Node{Type: names.Sidecar, IP: "10.251.0.1", Pod: "gone", Namespace: bm.Pods[0].Namespace, Domain: defaults.DomainSuffix}
	return append(nodes, mesh.Node{ID: names.NodeID(ghost)})
}
