package mesh

import (
	"encoding/json"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
)

// rulesChange is what changed between two models that differ in
// VirtualServices and DestinationRules only, found by comparing them.
//
// touched are the hosts whose outbound pieces must be translated again;
// affected are the rules whose problems (status) must be found again, all
// of which are found while translating touched hosts. A rule's problems
// come from translating its hosts (a VirtualService's routes, the
// conflicts of the rules binding one host, a DestinationRule's clusters)
// and, for a VirtualService, from the DestinationRules of where it sends
// (subsets) and from its delegates. So, to a fixpoint:
//
//   - a changed rule is affected; an affected VirtualService touches its
//     hosts (byVS), an affected DestinationRule its hosts (byDR);
//   - a VirtualService binding a host in byVS, sending to one in byDR, or
//     delegating to (or delegated to by) an affected one is affected;
//   - a DestinationRule of a host in byDR is affected (which one applies
//     may have changed).
type rulesChange struct {
	touched  map[string]bool
	affected map[model.ObjectRef]bool
}

// rule is one VirtualService or DestinationRule, both its versions
// merged: the hosts it binds or configures, where it sends, and the
// VirtualServices it delegates to or is delegated to by.
type rule struct {
	ref     model.ObjectRef
	hosts   map[string]bool
	dests   map[string]bool
	related []model.ObjectRef
}

// rulesChangeOf compares prev and m; false when anything but their rules
// differs, when the rules' precedence order changed, when a changed
// DestinationRule names client certificates (their SDS secrets are not
// recomputed here), when the connection pool a touched host's own
// workloads take inbound changed (inbound halves are kept here), or when
// a changed VirtualService is bound to a gateway.
func rulesChangeOf(prev, m *model.Model) (*rulesChange, bool) {
	if !m.SameBesidesRules(prev) {
		return nil, false
	}
	changed := map[model.ObjectRef]bool{}
	if !diffRules(vsList(prev), vsList(m), changed) || !diffRules(drList(prev), drList(m), changed) {
		return nil, false
	}
	for _, dr := range append(append([]*model.DestinationRule(nil), prev.DestinationRules...), m.DestinationRules...) {
		if changed[drRef(dr)] && namesClientCertificates(dr.Spec) {
			return nil, false
		}
	}
	for _, vs := range append(append([]*model.VirtualService(nil), prev.VirtualServices...), m.VirtualServices...) {
		if changed[vsRef(vs.Ref)] && boundToGateway(vs) {
			return nil, false
		}
	}
	rules := map[model.ObjectRef]*rule{}
	for _, mm := range []*model.Model{prev, m} {
		addVirtualServices(mm, rules)
		addDestinationRules(mm, rules)
	}
	change := closeOver(rules, changed)
	if inboundPoolsDiffer(prev, m, change.touched) {
		return nil, false
	}
	return change, true
}

// inboundPoolsDiffer reports a touched host whose own workloads' inbound
// clusters take another connection pool from the rules (see
// xds.InboundRulePool): inbound halves are kept on this path.
func inboundPoolsDiffer(prev, m *model.Model, touched map[string]bool) bool {
	for h := range touched {
		before, after := prev.Services[h], m.Services[h]
		if before == nil || after == nil {
			continue // the services are the same but for rules: both absent
		}
		for _, p := range after.Ports {
			_, a := xds.InboundRulePool(prev, before, p.Number)
			_, b := xds.InboundRulePool(m, after, p.Number)
			if !reflect.DeepEqual(a, b) {
				return true
			}
		}
	}
	return false
}

type versioned struct {
	ref model.ObjectRef
	obj any
}

func vsList(m *model.Model) []versioned {
	out := make([]versioned, len(m.VirtualServices))
	for i, vs := range m.VirtualServices {
		out[i] = versioned{vsRef(vs.Ref), vs}
	}
	return out
}

func drList(m *model.Model) []versioned {
	out := make([]versioned, len(m.DestinationRules))
	for i, dr := range m.DestinationRules {
		out[i] = versioned{drRef(dr), dr}
	}
	return out
}

func vsRef(n types.NamespacedName) model.ObjectRef {
	return model.ObjectRef{Kind: "VirtualService", NamespacedName: n}
}

func drRef(dr *model.DestinationRule) model.ObjectRef {
	return model.ObjectRef{Kind: "DestinationRule", NamespacedName: dr.Ref}
}

// diffRules marks the rules added, removed or edited; false when those
// in both lists are not in the same order (precedence decides which rule
// of a host applies, and an order change is not one rule's).
func diffRules(before, after []versioned, changed map[model.ObjectRef]bool) bool {
	old := map[model.ObjectRef]any{}
	for _, v := range before {
		old[v.ref] = v.obj
	}
	now := map[model.ObjectRef]any{}
	var order []model.ObjectRef
	for _, v := range after {
		now[v.ref] = v.obj
		if o, ok := old[v.ref]; !ok || !reflect.DeepEqual(o, v.obj) {
			changed[v.ref] = true
		}
		if _, ok := old[v.ref]; ok {
			order = append(order, v.ref)
		}
	}
	i := 0
	for _, v := range before {
		if _, ok := now[v.ref]; !ok {
			changed[v.ref] = true
			continue
		}
		if order[i] != v.ref {
			return false
		}
		i++
	}
	return true
}

// boundToGateway reports a VirtualService that gateways use: what it
// changes there (a server's listeners, SNI and authority conflicts
// between rules of different hosts, the policies applied on a gateway
// port) is not confined to its hosts.
func boundToGateway(vs *model.VirtualService) bool {
	for _, g := range vs.Gateways {
		if g != "mesh" {
			return true
		}
	}
	return false
}

// namesClientCertificates reports a TLS setting with a client
// certificate (file or credentialName) anywhere in the rule.
func namesClientCertificates(spec *networkingv1.DestinationRuleSpec) bool {
	raw, err := json.Marshal(spec)
	if err != nil {
		return true
	}
	s := string(raw)
	return strings.Contains(s, `"credentialName"`) || strings.Contains(s, `"clientCertificate"`)
}

func addVirtualServices(m *model.Model, rules map[model.ObjectRef]*rule) {
	for _, vs := range m.VirtualServices {
		r := ruleFor(rules, vsRef(vs.Ref))
		for h := range hostsMatching(m, vs.Hosts) {
			r.hosts[h] = true
		}
		for _, d := range sendsTo(vs.Spec) {
			r.dests[m.DestinationHost(d, vs.Ref.Namespace)] = true
		}
		for _, http := range vs.Spec.HTTP {
			if d := http.Delegate; d != nil {
				child := types.NamespacedName{Namespace: d.Namespace, Name: d.Name}
				if child.Namespace == "" {
					child.Namespace = vs.Ref.Namespace
				}
				r.related = append(r.related, vsRef(child))
				c := ruleFor(rules, vsRef(child))
				c.related = append(c.related, r.ref)
			}
		}
	}
}

func addDestinationRules(m *model.Model, rules map[model.ObjectRef]*rule) {
	for _, dr := range m.DestinationRules {
		r := ruleFor(rules, drRef(dr))
		for h := range hostsMatching(m, []string{dr.Host}) {
			r.hosts[h] = true
		}
	}
}

func ruleFor(rules map[model.ObjectRef]*rule, ref model.ObjectRef) *rule {
	r := rules[ref]
	if r == nil {
		r = &rule{ref: ref, hosts: map[string]bool{}, dests: map[string]bool{}}
		rules[ref] = r
	}
	return r
}

// hostsMatching are the registry's hosts that patterns name, exactly or
// by wildcard. A host naming no service has no pieces of its own to keep
// (its virtual hosts are translated every time).
func hostsMatching(m *model.Model, patterns []string) map[string]bool {
	out := map[string]bool{}
	for _, p := range patterns {
		if _, ok := m.Services[p]; ok {
			out[p] = true
		}
		if strings.HasPrefix(p, "*") {
			for _, h := range m.Hostnames {
				if model.HostMatches(p, h) {
					out[h] = true
				}
			}
		}
	}
	return out
}

// sendsTo lists every destination host a VirtualService names, mirrors
// included, as written.
func sendsTo(spec *networkingv1.VirtualServiceSpec) []string {
	var out []string
	for _, r := range spec.HTTP {
		for _, d := range r.Route {
			out = append(out, d.Destination.Host)
		}
		if r.Mirror != nil {
			out = append(out, r.Mirror.Host)
		}
		for _, mp := range r.Mirrors {
			out = append(out, mp.Destination.Host)
		}
	}
	for _, r := range spec.TCP {
		for _, d := range r.Route {
			out = append(out, d.Destination.Host)
		}
	}
	for _, r := range spec.TLS {
		for _, d := range r.Route {
			out = append(out, d.Destination.Host)
		}
	}
	return out
}

// closeOver grows the changed rules to the affected ones and the hosts
// they touch (see rulesChange).
func closeOver(rules map[model.ObjectRef]*rule, changed map[model.ObjectRef]bool) *rulesChange {
	affected := map[model.ObjectRef]bool{}
	for ref := range changed {
		affected[ref] = true
	}
	byVS, byDR := map[string]bool{}, map[string]bool{}
	for grew := true; grew; {
		grew = false
		for _, r := range rules {
			if affected[r.ref] {
				target := byVS
				if r.ref.Kind == "DestinationRule" {
					target = byDR
				}
				for h := range r.hosts {
					target[h] = true
				}
			}
		}
		for _, r := range rules {
			if !affected[r.ref] && r.reaches(byVS, byDR, affected) {
				affected[r.ref] = true
				grew = true
			}
		}
	}
	touched := map[string]bool{}
	for h := range byVS {
		touched[h] = true
	}
	for h := range byDR {
		touched[h] = true
	}
	return &rulesChange{touched: touched, affected: affected}
}

func (r *rule) reaches(byVS, byDR map[string]bool, affected map[model.ObjectRef]bool) bool {
	if r.ref.Kind == "DestinationRule" {
		return intersects(r.hosts, byDR)
	}
	if intersects(r.hosts, byVS) || intersects(r.dests, byDR) {
		return true
	}
	for _, o := range r.related {
		if affected[o] {
			return true
		}
	}
	return false
}

func intersects(a, b map[string]bool) bool {
	for h := range a {
		if b[h] {
			return true
		}
	}
	return false
}
