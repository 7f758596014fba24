package mesh

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// smallMesh: three namespaces of two services, two pods each, a
// DestinationRule with subsets on one.
func smallMesh(t *testing.T) (*bundle.Bundle, []Node) {
	t.Helper()
	var docs strings.Builder
	var nodes []Node
	for n, ns := range []string{"a", "b", "c"} {
		for s := range 2 {
			fmt.Fprintf(&docs, "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc%d, namespace: %s}\nspec: {clusterIP: 10.96.%d.%d, selector: {app: svc%d}, ports: [{name: http, port: 8080}]}\n", s, ns, n, s+1, s)
			for k := range 2 {
				ip := fmt.Sprintf("10.%d.%d.%d", n+1, s, k+1)
				pod := fmt.Sprintf("svc%d-%d", s, k)
				fmt.Fprintf(&docs, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s, namespace: %s, labels: {app: svc%d, version: v%d}}\nspec: {containers: [{name: app, image: app}]}\nstatus: {podIP: %s}\n", pod, ns, s, k+1, ip)
				nodes = append(nodes, Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: ip, Pod: pod, Namespace: ns, Domain: defaults.DomainSuffix})})
			}
		}
	}
	docs.WriteString("---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: svc0, namespace: a}\nspec: {host: svc0, subsets: [{name: v1, labels: {version: v1}}]}\n")
	b := &bundle.Bundle{}
	if _, err := b.Decode("mesh.yaml", strings.NewReader(docs.String())); err != nil {
		t.Fatal(err)
	}
	return b, nodes
}

// TestJoinTranslatesOnlyWhatIsNew: a join costs the halves its previous
// result lacks. Nodes already translated add none; the sidecars of
// namespaces a reconcile without proxies represented reuse the
// representatives' outbound halves and add only their inbound halves.
func TestJoinTranslatesOnlyWhatIsNew(t *testing.T) {
	b, nodes := smallMesh(t)
	empty := Compute(b, nil)
	joined, ok := Join(empty, nodes)
	if !ok || len(joined.Waiting) != 0 || len(joined.Resources) != len(nodes) {
		t.Fatalf("Join configured %d of %d nodes", len(joined.Resources), len(nodes))
	}
	for k, r := range joined.memo.outbound {
		if empty.memo.outbound[k] != r {
			t.Errorf("outbound half %s translated again; the representative of its namespace had it", k)
		}
	}
	if got, want := len(joined.memo.partsSince(empty.memo)), len(joined.memo.byGroup); got != want {
		t.Errorf("%d new translations, want one inbound half per group (%d)", got, want)
	}
	again, _ := Join(joined, nodes)
	if n := len(again.memo.partsSince(joined.memo)); n != 0 {
		t.Errorf("joining nodes already translated translated %d halves", n)
	}
	for _, n := range nodes {
		if again.Resources[n.ID] != joined.Resources[n.ID] {
			t.Fatalf("%s: a node joined again must keep its pointer", n.ID)
		}
	}
}
