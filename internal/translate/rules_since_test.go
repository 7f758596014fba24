package translate

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
)

// bundleEdit is one change applied to the i-th object of its kind in a
// case (a rule, a pod); false when it does not apply there.
type bundleEdit struct {
	name  string
	apply func(b *bundle.Bundle, i int) bool
}

// ruleEdits change the i-th VirtualService or DestinationRule.
var ruleEdits = []bundleEdit{
	{"VirtualService weights", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.VirtualServices) {
			return false
		}
		for r := range b.VirtualServices[i].Spec.HTTP {
			if d := b.VirtualServices[i].Spec.HTTP[r].Route; len(d) >= 2 {
				d[0].Weight, d[1].Weight = d[1].Weight+7, d[0].Weight+3
				return true
			}
		}
		return false
	}},
	{"VirtualService timeout", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.VirtualServices) || len(b.VirtualServices[i].Spec.HTTP) == 0 {
			return false
		}
		to := networkingv1.Timeout("3s")
		b.VirtualServices[i].Spec.HTTP[0].Timeout = &to
		return true
	}},
	{"VirtualService header match", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.VirtualServices) || len(b.VirtualServices[i].Spec.HTTP) == 0 || len(b.VirtualServices[i].Spec.HTTP[0].Route) == 0 {
			return false
		}
		vs := &b.VirtualServices[i].Spec
		one := "1"
		first := networkingv1.HTTPRoute{
			Name:  "edit-header",
			Match: []networkingv1.HTTPMatchRequest{{Headers: map[string]networkingv1.StringMatch{"x-edit": {Exact: &one}}}},
			Route: vs.HTTP[0].Route[:1:1],
		}
		vs.HTTP = append([]networkingv1.HTTPRoute{first}, vs.HTTP...)
		return true
	}},
	{"VirtualService deleted", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.VirtualServices) {
			return false
		}
		b.VirtualServices = append(b.VirtualServices[:i:i], b.VirtualServices[i+1:]...)
		return true
	}},
	{"VirtualService added", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.Services) {
			return false
		}
		svc := b.Services[i]
		to := networkingv1.Timeout("5s")
		vs := networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "edit-added", Namespace: svc.Namespace}}
		vs.Spec.Hosts = []string{svc.Name}
		vs.Spec.HTTP = []networkingv1.HTTPRoute{{Timeout: &to, Route: []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: svc.Name}}}}}
		b.VirtualServices = append(b.VirtualServices, vs)
		return true
	}},
	{"DestinationRule subset added", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.DestinationRules) {
			return false
		}
		dr := &b.DestinationRules[i].Spec
		dr.Subsets = append(dr.Subsets, networkingv1.Subset{Name: "edit", Labels: map[string]string{"edit": "yes"}})
		return true
	}},
	{"DestinationRule load balancer", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.DestinationRules) {
			return false
		}
		dr := &b.DestinationRules[i].Spec
		if dr.TrafficPolicy == nil {
			dr.TrafficPolicy = &networkingv1.TrafficPolicy{}
		}
		dr.TrafficPolicy.LoadBalancer = &networkingv1.LoadBalancerSettings{Simple: "LEAST_REQUEST"}
		return true
	}},
	{"DestinationRule TLS mode", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.DestinationRules) {
			return false
		}
		dr := &b.DestinationRules[i].Spec
		if dr.TrafficPolicy == nil {
			dr.TrafficPolicy = &networkingv1.TrafficPolicy{}
		}
		mode := "DISABLE"
		if dr.TrafficPolicy.TLS != nil && dr.TrafficPolicy.TLS.Mode == "DISABLE" {
			mode = "ISTIO_MUTUAL"
		}
		dr.TrafficPolicy.TLS = &networkingv1.ClientTLSSettings{Mode: mode}
		return true
	}},
	{"DestinationRule deleted", func(b *bundle.Bundle, i int) bool {
		if i >= len(b.DestinationRules) {
			return false
		}
		b.DestinationRules = append(b.DestinationRules[:i:i], b.DestinationRules[i+1:]...)
		return true
	}},
}

// TestRulesSinceMatchesFullTranslation applies every rule edit to every
// VirtualService, DestinationRule (and, for additions, Service) of every
// golden case, and checks that mesh.ComputeRulesSince, when it takes the
// change, gives the case's proxy exactly what mesh.Compute gives, with the
// same status; and that it takes most of them.
func TestRulesSinceMatchesFullTranslation(t *testing.T) {
	taken, declined := 0, 0
	for _, c := range editableCases(t) {
		in, files := c.in, c.files
		b := load(t, files)
		nodes := caseNodes(t, in, c.h)
		before := mesh.Compute(b, nodes)
		if len(before.Waiting) > 0 {
			continue // the node waits for its pod
		}
		for _, e := range ruleEdits {
			for i := 0; ; i++ {
				edited := load(t, files)
				if !e.apply(edited, i) {
					break
				}
				got, ok := mesh.ComputeRulesSince(edited, nodes, before)
				if !ok {
					declined++
					t.Logf("declined: %s, %s of rule %d", in, e.name, i)
					continue
				}
				taken++
				want := mesh.Compute(edited, nodes)
				what := fmt.Sprintf("%s, %s of rule %d", in, e.name, i)
				for _, n := range nodes {
					sameResources(t, what, want.Resources[n.ID], got.Resources[n.ID])
				}
				if w, g := want.Model.Status.Canonical(), got.Model.Status.Canonical(); w != g {
					t.Errorf("%s: status differs\nfull:\n%s\nscoped:\n%s", what, w, g)
				}
			}
		}
	}
	t.Logf("%d edits took the scoped path, %d declined", taken, declined)
	if taken == 0 || declined > taken/4 {
		t.Errorf("the scoped path took %d edits and declined %d", taken, declined)
	}
}

func load(t *testing.T, files []string) *bundle.Bundle {
	t.Helper()
	b, _, err := Load(files)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// caseNodes is the case's proxy as a connected node.
func caseNodes(t *testing.T, in string, h caseHeader) []mesh.Node {
	res := runCase(t, in)
	ref := ParseProxy(h.proxy)
	id := fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", res.Proxy.Type, res.Proxy.IP, ref.Name, ref.Namespace, ref.Namespace)
	n := mesh.Node{ID: id}
	if h.generator == "grpc" {
		n.Metadata = &structpb.Struct{Fields: map[string]*structpb.Value{mesh.MetaGenerator: structpb.NewStringValue(mesh.GeneratorGRPC)}}
	}
	return []mesh.Node{n}
}
