package translate

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// TestRulesPathWireBytes publishes, through one long-lived builder, every
// golden case's translation and then each rules-path result after it (the
// rules path hands untouched virtual hosts over by pointer, and the
// builder encodes route tables from the hosts' kept bytes): every route
// configuration and listener a proxy would receive is Marshal's bytes of
// the resource, so versions are what a full translation gives.
func TestRulesPathWireBytes(t *testing.T) {
	checked := 0
	for _, c := range editableCases(t) {
		b := load(t, c.files)
		nodes := podNodes(b, caseNodes(t, c.in, c.h)[0])
		before := mesh.Compute(b, nodes)
		builder := xdsserver.NewBuilder()
		publish(t, c.in, builder, before, nodes)
		for _, re := range ruleEdits {
			for i := 0; ; i++ {
				edited := load(t, c.files)
				if !re.apply(edited, i) {
					break
				}
				got, ok := mesh.ComputeRulesSince(edited, nodes, before)
				if !ok {
					continue
				}
				builder.Next()
				checked += publish(t, fmt.Sprintf("%s, %s of rule %d", c.in, re.name, i), builder, got, nodes)
				builder.Next() // back to before's translation, as the next edit starts from it
				publish(t, c.in+", before again", builder, before, nodes)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no route configuration was checked")
	}
	t.Logf("%d route configurations compared", checked)
}

// publish snapshots every node's resources and compares their encoded
// route configurations and listeners with Marshal's; it returns how many
// route configurations it compared.
func publish(t *testing.T, what string, b *xdsserver.Builder, res *mesh.Result, nodes []mesh.Node) int {
	t.Helper()
	n := 0
	for _, node := range nodes {
		rs := res.Resources[node.ID]
		if rs == nil {
			continue
		}
		s, err := b.Snapshot(rs)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, rc := range rs.Routes {
			sameWire(t, what, s, resource.RouteType, rc.Name, rc)
			n++
		}
		for _, l := range rs.Listeners {
			sameWire(t, what, s, resource.ListenerType, l.Name, l)
		}
	}
	return n
}

func sameWire(t *testing.T, what string, s *xdsserver.Snapshot, typeURL, name string, m proto.Message) {
	t.Helper()
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Encoded(typeURL, name), want) {
		t.Errorf("%s: %s %s is sent as other bytes than Marshal's", what, typeURL, name)
	}
}
