package bench

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/console"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
)

// TestImpactRoutesPathMatchesFullTranslation: the preview of a
// VirtualService-only change takes mesh.ComputeRoutesSince (sidecars keep
// all but their outbound routes and listeners). On randomized changes of
// one or two VirtualServices (weights, a timeout, retries, a new
// VirtualService for a service without one, for every namespace or its
// own only; and, where the fast path must
// decline, a route to one subset only or to a host nobody can see) every
// proxy's listed resources are exactly those whose full translation
// differs, by proto.Equal, the new problems are a full translation's, and
// the fast path is taken for every change it should take.
func TestImpactRoutesPathMatchesFullTranslation(t *testing.T) {
	m := NewMesh(Spec{Services: 40, Namespaces: 4, Seed: 7, RuleShare: 0.3})
	b := m.Bundle()
	nodes := meshNodes(m, len(m.Pods))
	cur := console.Mesh{Bundle: b, Nodes: nodes, Result: mesh.Compute(b, nodes)}
	for seed := int64(1); seed <= 16; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			change, did, fast := randomRouteChange(rand.New(rand.NewSource(seed)), m, b)
			merged := console.Merge(b, change)
			if _, ok := mesh.ComputeRoutesSince(merged, nodes, cur.Result.Resources, cur.Result.Model); ok != fast {
				t.Fatalf("%s: the routes-only path taken: %v, want %v", did, ok, fast)
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
			t.Logf("%s: %d proxies differ", did, differs)
			if differs == 0 {
				t.Errorf("%s changes no proxy's configuration: the case tests nothing", did)
			}
			if imp.Unchanged != len(nodes)-differs {
				t.Errorf("%s: %d unchanged, want %d", did, imp.Unchanged, len(nodes)-differs)
			}
			had := map[string]bool{}
			for _, l := range cur.Result.Model.Status.Lines() {
				had[l] = true
			}
			var want []string
			for _, l := range after.Model.Status.Lines() {
				if !had[l] {
					want = append(want, l)
				}
			}
			if strings.Join(imp.Problems, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: problems %q, a full translation raises %q", did, imp.Problems, want)
			}
		})
	}
}

// randomRouteChange changes one or two VirtualServices (copies of b's, or
// new ones), says what it did, and whether the routes-only path applies
// (false once a change sends to other clusters).
func randomRouteChange(r *rand.Rand, m *Mesh, b *bundle.Bundle) (*bundle.Bundle, string, bool) {
	change := &bundle.Bundle{}
	var did []string
	fast := true
	var plain []*Service
	for _, s := range m.Services {
		if !s.Subsets {
			plain = append(plain, s)
		}
	}
	for k := 0; k < 1+r.Intn(2); k++ {
		vs := *b.VirtualServices[r.Intn(len(b.VirtualServices))].DeepCopy()
		last := &vs.Spec.HTTP[len(vs.Spec.HTTP)-1]
		switch r.Intn(7) {
		case 0:
			w := int32(1 + r.Intn(98))
			last.Route[0].Weight, last.Route[1].Weight = w, 100-w
			did = append(did, fmt.Sprintf("%s: weights %d/%d", vs.Name, w, 100-w))
		case 1:
			last.Timeout = timeout(fmt.Sprintf("%ds", 1+r.Intn(30)))
			did = append(did, vs.Name+": timeout")
		case 2:
			last.Retries = &networkingv1.HTTPRetry{Attempts: int32(1 + r.Intn(5)), RetryOn: "5xx"}
			did = append(did, vs.Name+": retries")
		case 3:
			s := plain[r.Intn(len(plain))]
			vs = networkingv1.VirtualService{}
			vs.Name, vs.Namespace = s.Name, s.Namespace
			vs.Spec.Hosts = []string{s.Name}
			vs.Spec.HTTP = []networkingv1.HTTPRoute{{
				Route:   []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: s.Name}}},
				Timeout: timeout("3s"),
			}}
			did = append(did, vs.Namespace+"/"+vs.Name+": new VirtualService")
		case 4:
			s := plain[r.Intn(len(plain))]
			vs = networkingv1.VirtualService{}
			vs.Name, vs.Namespace = s.Name, s.Namespace
			vs.Spec.Hosts, vs.Spec.ExportTo = []string{s.Name}, []string{"."}
			vs.Spec.HTTP = []networkingv1.HTTPRoute{{
				Route:   []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: s.Name}}},
				Retries: &networkingv1.HTTPRetry{Attempts: 3, RetryOn: "connect-failure"},
			}}
			did = append(did, vs.Namespace+"/"+vs.Name+": new VirtualService for its namespace only")
		case 5:
			if len(vs.Spec.HTTP) > 1 {
				vs.Spec.HTTP = vs.Spec.HTTP[len(vs.Spec.HTTP)-1:] // the v2 header rule goes too
				last = &vs.Spec.HTTP[0]
			}
			last.Route = last.Route[:1]
			last.Route[0].Weight = 0
			did = append(did, vs.Name+": v1 only")
			fast = false
		default:
			last.Route[1].Destination = networkingv1.Destination{Host: "nowhere.example.com"}
			did = append(did, vs.Name+": to an unknown host")
			fast = false
		}
		change.VirtualServices = append(change.VirtualServices, vs)
	}
	return change, strings.Join(did, ", "), fast
}
