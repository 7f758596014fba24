package model

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
)

// olderFirst orders objects as Istio merges them: by creation time, then
// namespace and name, so the result does not depend on input order.
func olderFirst(a, b *metav1.ObjectMeta) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func (m *Model) addVirtualServices(b *bundle.Bundle) {
	type withMeta struct {
		vs   *VirtualService
		meta *metav1.ObjectMeta
	}
	all := make([]withMeta, 0, len(b.VirtualServices))
	for i := range b.VirtualServices {
		vs := &b.VirtualServices[i]
		ref := types.NamespacedName{Namespace: vs.Namespace, Name: vs.Name}
		m.Status.Seen(ObjectRef{Kind: "VirtualService", NamespacedName: ref})
		out := &VirtualService{Ref: ref, Spec: &vs.Spec, ExportTo: ParseExportTo(vs.Spec.ExportTo, vs.Namespace)}
		for _, h := range vs.Spec.Hosts {
			out.Hosts = append(out.Hosts, ResolveHost(h, vs.Namespace))
		}
		out.Gateways = QualifyGateways(vs.Spec.Gateways, vs.Namespace)
		all = append(all, withMeta{out, &vs.ObjectMeta})
	}
	// Each rule sorts with its own object's metadata: looking it up by
	// name inside the comparison made the sort quadratic in the rules.
	sort.SliceStable(all, func(i, j int) bool { return olderFirst(all[i].meta, all[j].meta) })
	for _, w := range all {
		m.VirtualServices = append(m.VirtualServices, w.vs)
	}
}

// QualifyGateways defaults an empty list to [mesh] and makes every gateway
// name "namespace/name"; short names and "./name" resolve in the rule's
// namespace.
func QualifyGateways(gws []string, ns string) []string {
	if len(gws) == 0 {
		return []string{defaults.MeshGateway}
	}
	out := make([]string, 0, len(gws))
	for _, g := range gws {
		switch {
		case strings.HasPrefix(g, "./"):
			out = append(out, ns+"/"+strings.TrimPrefix(g, "./"))
		case g == defaults.MeshGateway || strings.Contains(g, "/"):
			out = append(out, g)
		default:
			// "name.namespace.svc.cluster.local" style names are also accepted
			// by Istio; keep the first label as the name.
			name, rest, dotted := strings.Cut(g, ".")
			if dotted {
				if gwNS, _, _ := strings.Cut(rest, "."); gwNS != "" {
					out = append(out, gwNS+"/"+name)
					continue
				}
			}
			out = append(out, ns+"/"+g)
		}
	}
	return out
}

func (m *Model) addDestinationRules(b *bundle.Bundle) {
	drs := make([]*networkingv1.DestinationRule, len(b.DestinationRules))
	for i := range b.DestinationRules {
		drs[i] = &b.DestinationRules[i]
	}
	sort.Slice(drs, func(i, j int) bool { return olderFirst(&drs[i].ObjectMeta, &drs[j].ObjectMeta) })
	for _, dr := range drs {
		ref := types.NamespacedName{Namespace: dr.Namespace, Name: dr.Name}
		oref := ObjectRef{Kind: "DestinationRule", NamespacedName: ref}
		m.Status.Seen(oref)
		host := ResolveHost(dr.Spec.Host, dr.Namespace)
		if !m.anyHostMatches(host) {
			m.Status.Add(oref, "host", "host %q not found in the service registry; the rule applies to nothing", host)
		}
		rule := &DestinationRule{
			Ref: ref, Spec: &dr.Spec, Host: host,
			ExportTo: ParseExportTo(dr.Spec.ExportTo, dr.Namespace),
		}
		for i, ss := range dr.Spec.Subsets {
			if !rule.SubsetUsable(i) {
				m.Status.Add(oref, fmt.Sprintf("subsets[%d].name", i), "subset name %q is empty, repeated or contains \"|\"; the subset is ignored", ss.Name)
			}
		}
		m.DestinationRules = append(m.DestinationRules, rule)
	}
}

// SubsetUsable says whether subset i gets clusters: its name is not
// empty, has no "|" (which cluster names use as a separator) and is not
// the name of an earlier subset. Istio's validation refuses the others;
// here they would name the service's default cluster, or one cluster
// twice, and Envoy refuses the whole CDS update.
func (dr *DestinationRule) SubsetUsable(i int) bool {
	name := dr.Spec.Subsets[i].Name
	if name == "" || strings.Contains(name, "|") {
		return false
	}
	for _, earlier := range dr.Spec.Subsets[:i] {
		if earlier.Name == name {
			return false
		}
	}
	return true
}

func (m *Model) anyHostMatches(rule string) bool {
	if _, ok := m.Services[rule]; ok {
		return true
	}
	for _, h := range m.Hostnames {
		if HostMatches(rule, h) {
			return true
		}
	}
	return false
}

func (m *Model) addGateways(b *bundle.Bundle) {
	for i := range b.Gateways {
		gw := &b.Gateways[i]
		m.Status.Seen(ObjectRef{Kind: "Gateway", NamespacedName: types.NamespacedName{Namespace: gw.Namespace, Name: gw.Name}})
		m.Gateways = append(m.Gateways, gw)
	}
	sort.Slice(m.Gateways, func(i, j int) bool { return olderFirst(&m.Gateways[i].ObjectMeta, &m.Gateways[j].ObjectMeta) })
}

// DestinationRuleFor picks the DestinationRule that applies to traffic from
// a proxy in namespace proxyNS (with proxyLabels) to host, in Istio's order:
// a rule in the proxy's namespace (one whose workloadSelector matches the
// proxy before one without), then the service's namespace, then the root
// namespace. Within a namespace an exact host beats a wildcard, and older
// beats newer. Rules the proxy's namespace cannot see are skipped.
func (m *Model) DestinationRuleFor(proxyNS string, proxyLabels map[string]string, svc *Service) *DestinationRule {
	for _, ns := range []string{proxyNS, svc.Namespace, m.RootNamespace()} {
		if dr := m.bestRuleIn(ns, proxyNS, proxyLabels, svc.Hostname); dr != nil {
			return dr
		}
	}
	return nil
}

func (m *Model) bestRuleIn(ns, proxyNS string, proxyLabels map[string]string, host string) *DestinationRule {
	var best *DestinationRule
	bestScore := 0
	for _, dr := range m.index().drByNS[ns] {
		if dr.Ref.Namespace != ns || !dr.ExportTo.VisibleTo(proxyNS) || !HostMatches(dr.Host, host) {
			continue
		}
		score := 1
		if dr.Host == host {
			score += 2
		}
		if sel := dr.Spec.WorkloadSelector; sel != nil {
			if ns != proxyNS || !labels.SelectorFromSet(sel.MatchLabels).Matches(labels.Set(proxyLabels)) {
				continue
			}
			score += 4
		}
		if score > bestScore {
			best, bestScore = dr, score
		}
	}
	return best
}

// VirtualServicesFor returns the VirtualServices bound to host that a
// proxy in proxyNS acting as one of gateways uses, in merge order; rules
// naming the host exactly come before wildcard ones.
func (m *Model) VirtualServicesFor(host, proxyNS string, gateways []string) []*VirtualService {
	var exact, wild []*VirtualService
	for _, vs := range m.index().virtualServicesNaming(m, host) {
		if !vs.ExportTo.VisibleTo(proxyNS) || !Intersects(vs.Gateways, gateways) {
			continue
		}
		for _, h := range vs.Hosts {
			if h == host {
				exact = append(exact, vs)
				break
			}
			if HostMatches(h, host) {
				wild = append(wild, vs)
				break
			}
		}
	}
	return append(exact, wild...)
}

// Intersects reports whether two name lists share an entry (gateway
// lists, mostly).
func Intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// VirtualService returns the VirtualService by namespace and name.
func (m *Model) VirtualService(ref types.NamespacedName) *VirtualService {
	for _, vs := range m.VirtualServices {
		if vs.Ref == ref {
			return vs
		}
	}
	return nil
}

// Subset returns the subset of the rule by name.
func (dr *DestinationRule) Subset(name string) *networkingv1.Subset {
	for i := range dr.Spec.Subsets {
		if dr.Spec.Subsets[i].Name == name && dr.SubsetUsable(i) {
			return &dr.Spec.Subsets[i]
		}
	}
	return nil
}
