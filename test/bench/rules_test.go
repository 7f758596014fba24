package bench

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/console"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// randomRuleChange edits one or two of the generated mesh's rules: a
// VirtualService's weights, timeout or visibility, a new VirtualService
// for a service without one, a DestinationRule's subsets, load balancer
// or TLS mode.
func randomRuleChange(r *rand.Rand, m *Mesh, b *bundle.Bundle) (*bundle.Bundle, string) {
	change := &bundle.Bundle{}
	var did []string
	for k := 0; k < 1+r.Intn(2); k++ {
		if r.Intn(2) == 0 {
			vs := *b.VirtualServices[r.Intn(len(b.VirtualServices))].DeepCopy()
			last := &vs.Spec.HTTP[len(vs.Spec.HTTP)-1]
			switch r.Intn(4) {
			case 0:
				w := int32(1 + r.Intn(98))
				last.Route[0].Weight, last.Route[1].Weight = w, 100-w
				did = append(did, fmt.Sprintf("%s: weights %d/%d", vs.Name, w, 100-w))
			case 1:
				last.Timeout = timeout(fmt.Sprintf("%ds", 1+r.Intn(30)))
				did = append(did, vs.Name+": timeout")
			case 2:
				vs.Spec.ExportTo = []string{"."}
				did = append(did, vs.Name+": exportTo .")
			default:
				s := m.Services[r.Intn(len(m.Services))]
				if s.Subsets {
					continue
				}
				vs = networkingv1.VirtualService{}
				vs.Name, vs.Namespace = s.Name, s.Namespace
				vs.Spec.Hosts = []string{s.Name}
				vs.Spec.HTTP = []networkingv1.HTTPRoute{{
					Route:   []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: s.Name}}},
					Timeout: timeout("3s"),
				}}
				did = append(did, vs.Namespace+"/"+vs.Name+": new VirtualService")
			}
			change.VirtualServices = append(change.VirtualServices, vs)
			continue
		}
		dr := *b.DestinationRules[r.Intn(len(b.DestinationRules))].DeepCopy()
		if dr.Spec.TrafficPolicy == nil {
			dr.Spec.TrafficPolicy = &networkingv1.TrafficPolicy{}
		}
		switch r.Intn(3) {
		case 0:
			dr.Spec.Subsets = append(dr.Spec.Subsets, networkingv1.Subset{Name: "v3", Labels: map[string]string{"version": "v3"}})
			did = append(did, dr.Name+": subset v3")
		case 1:
			dr.Spec.TrafficPolicy.LoadBalancer = &networkingv1.LoadBalancerSettings{Simple: []string{"LEAST_REQUEST", "RANDOM"}[r.Intn(2)]}
			did = append(did, dr.Name+": load balancer")
		default:
			dr.Spec.TrafficPolicy.TLS = &networkingv1.ClientTLSSettings{Mode: []string{"DISABLE", "ISTIO_MUTUAL"}[r.Intn(2)]}
			did = append(did, dr.Name+": TLS mode")
		}
		change.DestinationRules = append(change.DestinationRules, dr)
	}
	return console.Merge(b, change), strings.Join(did, "; ")
}

// TestRulesSinceOverGeneratedMesh: on the generated mesh (every pod a
// connected proxy), seeded sequences of rule changes through
// mesh.ComputeRulesSince give every proxy what mesh.Compute gives, with
// the same status, and the path is taken for every one of them.
func TestRulesSinceOverGeneratedMesh(t *testing.T) {
	m := NewMesh(Spec{Services: 40, Namespaces: 4, Seed: 7, RuleShare: 0.3})
	nodes := meshNodes(m, len(m.Pods))
	for seed := int64(1); seed <= 10; seed++ {
		r := rand.New(rand.NewSource(seed))
		b := m.Bundle()
		last := mesh.Compute(b, nodes)
		for step := 0; step < 3; step++ {
			next, did := randomRuleChange(r, m, b)
			got, ok := mesh.ComputeRulesSince(next, nodes, last)
			if !ok {
				t.Fatalf("seed %d step %d (%s): the scoped rules path declined", seed, step, did)
			}
			want := mesh.Compute(next, nodes)
			for _, n := range nodes {
				if d := firstDifference(want.Resources[n.ID], got.Resources[n.ID]); d != "" {
					t.Fatalf("seed %d step %d (%s), %s: %s differs from the full translation", seed, step, did, n.ID, d)
				}
			}
			if w, g := want.Model.Status.Canonical(), got.Model.Status.Canonical(); w != g {
				t.Fatalf("seed %d step %d (%s): status differs\nfull:\n%s\nscoped:\n%s", seed, step, did, w, g)
			}
			b, last = next, got
		}
	}
}

// firstDifference names the first resource of want that got lacks or
// has otherwise, "" when they are the same lists.
func firstDifference(want, got *xds.Resources) string {
	type list struct {
		kind string
		w, g []proto.Message
	}
	for _, l := range []list{
		{"listener", msgList(want.Listeners), msgList(got.Listeners)},
		{"route", msgList(want.Routes), msgList(got.Routes)},
		{"cluster", msgList(want.Clusters), msgList(got.Clusters)},
		{"endpoints", msgList(want.Endpoints), msgList(got.Endpoints)},
		{"secret", msgList(want.Secrets), msgList(got.Secrets)},
	} {
		if len(l.w) != len(l.g) {
			return fmt.Sprintf("%s count (%d, full %d)", l.kind, len(l.g), len(l.w))
		}
		for i := range l.w {
			if !proto.Equal(l.w[i], l.g[i]) {
				return fmt.Sprintf("%s %d", l.kind, i)
			}
		}
	}
	return ""
}

func msgList[T proto.Message](in []T) []proto.Message {
	out := make([]proto.Message, len(in))
	for i, m := range in {
		out[i] = m
	}
	return out
}

// BenchmarkRuleChange is one VirtualService weight change and one
// DestinationRule load-balancer change at the reference size, each
// through mesh.Compute ("full") and mesh.ComputeRulesSince ("scoped"):
// the translation alone, and with one publish's snapshots ("+publish": a
// builder that has seen the previous result, as the reconciler's, so it
// marshals only resources it has not seen).
func BenchmarkRuleChange(b *testing.B) {
	m := NewMesh(referenceSpec)
	bu := m.Bundle()
	nodes := meshNodes(m, len(m.Pods))
	first := mesh.Compute(bu, nodes)
	for _, c := range []struct {
		name    string
		change  *bundle.Bundle
		publish bool
	}{{"vs-weight", weightChange(bu), false}, {"dr-policy", policyChange(bu), false}, {"vs-weight+publish", weightChange(bu), true}} {
		for _, scoped := range []bool{false, true} {
			name := c.name + "/full"
			if scoped {
				name = c.name + "/scoped"
			}
			b.Run(name, func(b *testing.B) {
				builder := xdsserver.NewBuilder()
				if c.publish {
					snapshots(b, builder, first)
				}
				b.ReportAllocs()
				for b.Loop() {
					var res *mesh.Result
					if scoped {
						var ok bool
						if res, ok = mesh.ComputeRulesSince(c.change, nodes, first); !ok {
							b.Fatal("the scoped rules path declined")
						}
					} else {
						res = mesh.Compute(c.change, nodes)
					}
					if c.publish {
						snapshots(b, builder, res)
					}
				}
			})
		}
	}
}

// weightChange is bu with the first weighted VirtualService's split moved.
func weightChange(bu *bundle.Bundle) *bundle.Bundle {
	for _, vs := range bu.VirtualServices {
		last := vs.Spec.HTTP[len(vs.Spec.HTTP)-1]
		if len(last.Route) == 2 {
			next := *vs.DeepCopy()
			r := next.Spec.HTTP[len(next.Spec.HTTP)-1].Route
			r[0].Weight, r[1].Weight = r[1].Weight, r[0].Weight
			if r[0].Weight == r[1].Weight {
				r[0].Weight, r[1].Weight = 70, 30
			}
			return console.Merge(bu, &bundle.Bundle{VirtualServices: []networkingv1.VirtualService{next}})
		}
	}
	panic("no weighted VirtualService")
}

// policyChange is bu with the first DestinationRule's load balancer set.
func policyChange(bu *bundle.Bundle) *bundle.Bundle {
	next := *bu.DestinationRules[0].DeepCopy()
	if next.Spec.TrafficPolicy == nil {
		next.Spec.TrafficPolicy = &networkingv1.TrafficPolicy{}
	}
	next.Spec.TrafficPolicy.LoadBalancer = &networkingv1.LoadBalancerSettings{Simple: "LEAST_REQUEST"}
	return console.Merge(bu, &bundle.Bundle{DestinationRules: []networkingv1.DestinationRule{next}})
}

// TestRulesSinceDeclinesAServerPoolChange: a DestinationRule's connection
// pool reaches its host's own inbound clusters, which the rules path
// keeps, so a change of it is declined (and Compute does give the host's
// workloads another inbound cluster); a change of the same rule's load
// balancer is still taken, and equal to Compute.
func TestRulesSinceDeclinesAServerPoolChange(t *testing.T) {
	m := NewMesh(Spec{Services: 40, Namespaces: 4, Seed: 7, RuleShare: 0.3})
	nodes := meshNodes(m, len(m.Pods))
	b := m.Bundle()
	last := mesh.Compute(b, nodes)
	dr := *b.DestinationRules[0].DeepCopy()
	dr.Spec.TrafficPolicy.ConnectionPool.HTTP.HTTP1MaxPendingRequests = 7
	pooled := console.Merge(b, &bundle.Bundle{DestinationRules: []networkingv1.DestinationRule{dr}})
	if _, ok := mesh.ComputeRulesSince(pooled, nodes, last); ok {
		t.Fatal("the rules path took a change of the connection pool the host's own inbound clusters take")
	}
	want := mesh.Compute(pooled, nodes)
	inbound := names.InboundCluster(8080, dr.Spec.Host+"."+dr.Namespace+".svc.cluster.local")
	took := 0
	for _, r := range want.Resources {
		for _, c := range r.Clusters {
			if c.Name == inbound && c.GetCircuitBreakers().GetThresholds()[0].GetMaxPendingRequests().GetValue() == 7 {
				took++
			}
		}
	}
	if took == 0 {
		t.Fatalf("no proxy's %s took the rule's new pool", inbound)
	}
	dr = *dr.DeepCopy() // pooled holds the last copy's policy
	dr.Spec.TrafficPolicy.LoadBalancer = &networkingv1.LoadBalancerSettings{Simple: "RANDOM"}
	balanced := console.Merge(pooled, &bundle.Bundle{DestinationRules: []networkingv1.DestinationRule{dr}})
	got, ok := mesh.ComputeRulesSince(balanced, nodes, want)
	if !ok {
		t.Fatal("the rules path declined a load balancer change of a rule with a connection pool")
	}
	full := mesh.Compute(balanced, nodes)
	for _, n := range nodes {
		if d := firstDifference(full.Resources[n.ID], got.Resources[n.ID]); d != "" {
			t.Fatalf("%s: %s differs from the full translation", n.ID, d)
		}
	}
}
