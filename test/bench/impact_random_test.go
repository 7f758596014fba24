package bench

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/console"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// TestImpactEndpointPathMatchesFullTranslation: the preview of an
// EndpointSlice-only change takes the endpoint-only path
// (mesh.ComputeEndpointsSince) instead of a full translation. On randomized
// changes of one to three slices (an address moved, an endpoint dropped,
// one turned not ready, one added) every proxy's listed resources are
// exactly those whose full translation differs, by proto.Equal.
func TestImpactEndpointPathMatchesFullTranslation(t *testing.T) {
	m := NewMesh(Spec{Services: 40, Namespaces: 4, Seed: 7, RuleShare: 0.3})
	b := m.Bundle()
	nodes := meshNodes(m, len(m.Pods))
	cur := console.Mesh{Bundle: b, Nodes: nodes, Result: mesh.Compute(b, nodes)}
	for seed := int64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			change, did := randomEndpointChange(rand.New(rand.NewSource(seed)), b)
			merged := console.Merge(b, change)
			if _, ok := mesh.ComputeEndpointsSince(merged, nodes, cur.Result.Resources, cur.Result.Model); !ok {
				t.Fatalf("%s: the endpoint-only path declined, so the shortcut is not what is tested", did)
			}
			imp := console.ComputeImpact(cur, change)
			after := mesh.Compute(merged, nodes)
			listed := map[string][]string{}
			for _, c := range imp.Changes {
				for _, p := range c.Proxies {
					for _, r := range c.Resources {
						listed[p] = append(listed[p], r.Type+" "+r.Name+" "+r.Change)
					}
				}
			}
			differs := 0
			for _, n := range nodes {
				want := resourceDiff(cur.Result.Resources[n.ID], after.Resources[n.ID])
				if len(want) > 0 {
					differs++
				}
				id, err := names.ParseNodeID(n.ID)
				if err != nil {
					t.Fatal(err)
				}
				name := id.Pod + "." + id.Namespace
				if got := listed[name]; strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s (%s): listed %q, a full translation differs in %q", name, did, got, want)
				}
			}
			if differs == 0 {
				t.Errorf("%s changes no proxy's configuration: the case tests nothing", did)
			}
			if imp.Unchanged != len(nodes)-differs {
				t.Errorf("%s: %d unchanged, want %d", did, imp.Unchanged, len(nodes)-differs)
			}
		})
	}
}

// randomEndpointChange changes one to three of b's EndpointSlices (copies)
// and says what it did.
func randomEndpointChange(r *rand.Rand, b *bundle.Bundle) (*bundle.Bundle, string) {
	change := &bundle.Bundle{}
	var did []string
	for _, i := range r.Perm(len(b.EndpointSlices))[:1+r.Intn(3)] {
		s := *b.EndpointSlices[i].DeepCopy()
		if len(s.Endpoints) == 0 {
			continue
		}
		fresh := fmt.Sprintf("10.250.%d.%d", r.Intn(250), 1+r.Intn(250))
		switch k := r.Intn(4); {
		case k == 0:
			s.Endpoints[0].Addresses = []string{fresh}
			did = append(did, s.Name+": address moved")
		case k == 1 && len(s.Endpoints) > 1:
			s.Endpoints = s.Endpoints[:len(s.Endpoints)-1]
			did = append(did, s.Name+": endpoint dropped")
		case k == 2:
			notReady := false
			s.Endpoints[0].Conditions.Ready = &notReady
			did = append(did, s.Name+": endpoint not ready")
		default:
			e := *s.Endpoints[0].DeepCopy()
			e.Addresses, e.TargetRef = []string{fresh}, nil
			s.Endpoints = append(s.Endpoints, e)
			did = append(did, s.Name+": endpoint added")
		}
		change.EndpointSlices = append(change.EndpointSlices, s)
	}
	return change, strings.Join(did, ", ")
}

// resourceDiff is "TYPE name change" for every resource that differs
// between a and b by proto.Equal, sorted: what the preview must list.
func resourceDiff(a, b *xds.Resources) []string {
	before, after := keyed(a), keyed(b)
	var out []string
	for k, m := range after {
		if old, ok := before[k]; !ok {
			out = append(out, k+" "+console.Added)
		} else if !proto.Equal(old, m) {
			out = append(out, k+" "+console.Changed)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k+" "+console.Removed)
		}
	}
	sort.Strings(out)
	return out
}

func keyed(r *xds.Resources) map[string]proto.Message {
	out := map[string]proto.Message{}
	if r == nil {
		return out
	}
	for _, c := range r.Clusters {
		out["CDS "+c.Name] = c
	}
	for _, e := range r.Endpoints {
		out["EDS "+e.ClusterName] = e
	}
	for _, l := range r.Listeners {
		out["LDS "+l.Name] = l
	}
	for _, rc := range r.Routes {
		out["RDS "+rc.Name] = rc
	}
	for _, s := range r.Secrets {
		out["SDS "+s.Name] = s
	}
	return out
}
