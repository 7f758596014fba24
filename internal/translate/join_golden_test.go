package translate

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// TestJoinMatchesComputeOnGoldenCases: on every golden case, proxies
// joined a batch at a time to an earlier reconcile (in random orders and
// batch sizes) get exactly what one Compute for all of them gives, shared
// alike; and the joins flag new problems exactly when the status of that
// Compute holds problems the earlier one's lacks, so the reconciler's
// follow-up Compute keeps status independent of when proxies connected.
func TestJoinMatchesComputeOnGoldenCases(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	rng := rand.New(rand.NewPCG(3, 9))
	for _, in := range cases {
		h := header(t, in)
		b, _, err := Load(append(h.with, in))
		if err != nil {
			t.Fatal(err)
		}
		nodes := everyKindOfNode(model.Build(b))
		want := mesh.Compute(b, nodes)
		for round := range 4 {
			order := rng.Perm(len(nodes))
			shuffled := make([]mesh.Node, len(nodes))
			for i, j := range order {
				shuffled[i] = nodes[j]
			}
			first := rng.IntN(len(nodes)/2 + 1)
			start := mesh.Compute(b, shuffled[:first])
			got, flagged := start, 0
			for rest := shuffled[first:]; len(rest) > 0; {
				n := 1 + rng.IntN(min(len(rest), 5))
				next, ok := mesh.Join(got, rest[:n])
				if !ok {
					t.Fatalf("%s: Join refused", in)
				}
				flagged += next.NewProblems
				got, rest = next, rest[n:]
			}
			if err := sameJoined(want, got, nodes); err != nil {
				t.Fatalf("%s round %d: %v", in, round, err)
			}
			missing := missingLines(want.Model.Status.Lines(), start.Model.Status.Lines())
			if (len(missing) > 0) != (flagged > 0) {
				t.Fatalf("%s round %d: joins flagged %d new problems; the full status has %d lines the first reconcile's lacks: %v", in, round, flagged, len(missing), missing)
			}
		}
	}
}

// everyKindOfNode: for every pod, its sidecar, a proxyless client on the
// plaintext port and one that proved the pod's identity; a gateway proxy
// for every pod a Gateway selects.
func everyKindOfNode(m *model.Model) []mesh.Node {
	refs := make([]string, 0, len(m.Pods))
	byRef := map[string]*model.Workload{}
	for ref, w := range m.Pods {
		refs = append(refs, ref.String())
		byRef[ref.String()] = w
	}
	sort.Strings(refs)
	grpc := &structpb.Struct{Fields: map[string]*structpb.Value{mesh.MetaGenerator: structpb.NewStringValue(mesh.GeneratorGRPC)}}
	var out []mesh.Node
	for i, ref := range refs {
		w := byRef[ref]
		id := func(typ names.ProxyType, ip string) string {
			return names.NodeID(names.Node{Type: typ, IP: ip, Pod: w.Ref.Name, Namespace: w.Ref.Namespace, Domain: defaults.DomainSuffix})
		}
		who := &identity.Identity{TrustDomain: defaults.DomainSuffix, Namespace: w.Ref.Namespace, ServiceAccount: w.ServiceAccount}
		out = append(out,
			mesh.Node{ID: id(names.Sidecar, w.IP)},
			mesh.Node{ID: id(names.Sidecar, fmt.Sprintf("10.254.%d.1", i)), Metadata: grpc},
			mesh.Node{ID: id(names.Sidecar, fmt.Sprintf("10.254.%d.2", i)), Metadata: grpc, Identity: who})
		for _, gw := range m.Gateways {
			if sel := gw.Spec.Selector; len(sel) > 0 && selectsAll(sel, w.Labels) {
				out = append(out, mesh.Node{ID: id(names.Router, w.IP)})
				break
			}
		}
	}
	return out
}

// sameJoined compares the joined result b with Compute's a for the nodes.
func sameJoined(a, b *mesh.Result, nodes []mesh.Node) error {
	if strings.Join(a.Waiting, ",") != strings.Join(b.Waiting, ",") {
		return fmt.Errorf("waiting %v, want %v", b.Waiting, a.Waiting)
	}
	if len(a.Resources) != len(b.Resources) || a.Groups != b.Groups {
		return fmt.Errorf("%d nodes in %d groups, want %d in %d", len(b.Resources), b.Groups, len(a.Resources), a.Groups)
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

// missingLines are the lines of want that got lacks.
func missingLines(want, got []string) []string {
	have := map[string]bool{}
	for _, l := range got {
		have[l] = true
	}
	var out []string
	for _, l := range want {
		if !have[l] {
			out = append(out, l)
		}
	}
	return out
}
