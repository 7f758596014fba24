package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// scanVirtualServices is the lookup over every rule: an index that lists
// every virtual service as a candidate for every host.
func scanVirtualServices(m *Model, host, proxyNS string, gateways []string) []*VirtualService {
	m.index() // built, so the once does not rebuild over what is set here
	byHost, wild := m.rules.vsByHost, m.rules.vsWild
	defer func() { m.rules.vsByHost, m.rules.vsWild = byHost, wild }()
	m.rules.vsByHost, m.rules.vsWild = nil, nil
	for i := range m.VirtualServices {
		m.rules.vsWild = append(m.rules.vsWild, i)
	}
	return m.VirtualServicesFor(host, proxyNS, gateways)
}

func scanDestinationRule(m *Model, proxyNS string, proxyLabels map[string]string, svc *Service) *DestinationRule {
	saved := m.rules.drByNS
	defer func() { m.rules.drByNS = saved }()
	m.rules.drByNS = map[string][]*DestinationRule{}
	for _, ns := range []string{proxyNS, svc.Namespace, defaults.RootNamespace} {
		m.rules.drByNS[ns] = m.DestinationRules // every rule; bestRuleIn filters by namespace itself
	}
	return m.DestinationRuleFor(proxyNS, proxyLabels, svc)
}

// TestRuleIndexAnswersAsTheScan: random meshes of exact, wildcard and
// mixed hosts, exportTo and workload selectors give the same answers with
// the index as with a scan of every rule.
func TestRuleIndexAnswersAsTheScan(t *testing.T) {
	nss := []string{"a", "b", "c"}
	hosts := []string{"s1.a.svc.cluster.local", "s2.b.svc.cluster.local", "s3.c.svc.cluster.local"}
	pick := func(r *rand.Rand) string {
		switch r.IntN(5) {
		case 0:
			return "*"
		case 1:
			return "*.b.svc.cluster.local"
		default:
			return hosts[r.IntN(len(hosts))]
		}
	}
	for seed := range uint64(50) {
		r := rand.New(rand.NewPCG(seed, 7))
		m := &Model{rules: &ruleIndex{}}
		for i := range 12 {
			vis := Visibility{All: r.IntN(3) > 0, Namespaces: map[string]bool{nss[r.IntN(3)]: true}}
			vs := &VirtualService{Ref: types.NamespacedName{Namespace: nss[r.IntN(3)], Name: fmt.Sprint("vs", i)}, ExportTo: vis, Gateways: []string{"mesh"}}
			for range 1 + r.IntN(3) {
				vs.Hosts = append(vs.Hosts, pick(r))
			}
			m.VirtualServices = append(m.VirtualServices, vs)
			dr := &DestinationRule{Ref: types.NamespacedName{Namespace: nss[r.IntN(3)], Name: fmt.Sprint("dr", i)}, Host: pick(r), ExportTo: vis, Spec: &networkingv1.DestinationRuleSpec{}}
			if r.IntN(4) == 0 {
				dr.Spec.WorkloadSelector = &networkingv1.WorkloadSelector{MatchLabels: map[string]string{"app": "x"}}
			}
			m.DestinationRules = append(m.DestinationRules, dr)
		}
		for _, host := range hosts {
			svc := &Service{Hostname: host, Namespace: host[3:4]}
			for _, ns := range nss {
				got, want := m.VirtualServicesFor(host, ns, []string{"mesh"}), scanVirtualServices(m, host, ns, []string{"mesh"})
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d host %s from %s: virtual services %v, the scan finds %v", seed, host, ns, refs(got), refs(want))
				}
				for _, lbls := range []map[string]string{nil, {"app": "x"}} {
					if got, want := m.DestinationRuleFor(ns, lbls, svc), scanDestinationRule(m, ns, lbls, svc); got != want {
						t.Fatalf("seed %d host %s from %s %v: destination rule %v, the scan finds %v", seed, host, ns, lbls, got, want)
					}
				}
			}
		}
	}
}

func refs(l []*VirtualService) []string {
	var out []string
	for _, vs := range l {
		out = append(out, vs.Ref.String())
	}
	return out
}
