package mesh

import (
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/parallel"
	"github.com/sailplane/sailplane/internal/xds"
)

// ComputeRulesSince is the fast path for a change of VirtualServices
// and/or DestinationRules, given last, what Compute (or this path) gave
// the same nodes for the model prev. It finds the change itself, by
// comparing prev with the model of b (rules_scoped_change.go), so a
// missed event cannot make it wrong.
//
// Each sidecar outbound half translates only the touched hosts' virtual
// hosts, listeners, clusters and load assignments, once per outbound key,
// and takes everything else from last by pointer
// (xds.OutboundRulesUpdate); inbound halves are last's. Gateways and
// proxyless gRPC nodes are translated in full, sharing what Compute would
// share. Status is what Compute gives: the affected rules' problems are
// found again (the representatives of namespaces nobody is connected in
// included), every other object's are carried over from prev.
//
// ok is false, and the caller runs Compute, when prev is nil; something
// besides rules changed, or the rules' precedence order did; a changed
// DestinationRule names client certificates; a changed VirtualService is
// bound to a gateway (what it changes there is not confined to its
// hosts: SNI and authority conflicts with other hosts' rules, policies
// applied on the ports it opens); prev's status holds
// problems of generated resources (kind Proxy: Envoy would refuse
// something, and which part found it is not recorded); a node has no
// previous result or no pod; or a sidecar's outbound key, group or
// Sidecar scope changed (a sourceLabels match or a locality-aware rule
// splits groups, an in-scope VirtualService's destinations join the
// scope).
//
// When before came with translations (Compute, Join, ComputePodsSince or
// this path gave it), the result does too (rulesMemo), so that a later pod
// change or join need not run Compute.
func ComputeRulesSince(b *bundle.Bundle, nodes []Node, before *Result) (*Result, bool) {
	if before == nil || before.Model == nil || hasProxyProblems(before.Model.Status) {
		return nil, false
	}
	last, prev := before.Resources, before.Model
	m := model.Build(b)
	change, ok := rulesChangeOf(prev, m)
	if !ok {
		return nil, false
	}
	plan, ok := planRules(m, prev, nodes, last)
	if !ok {
		return nil, false
	}
	affectedVS := func(n types.NamespacedName) bool { return change.affected[vsRef(n)] }
	updates := make([]*xds.OutboundUpdate, len(plan.reps))
	parallel.Each(len(updates), func(i int) {
		if xds.OutboundUnaffected(prev, plan.olds[i], m, plan.reps[i], change.touched, affectedVS) {
			updates[i] = xds.UnchangedOutbound()
			return
		}
		updates[i] = xds.OutboundRulesUpdate(m, plan.reps[i], last[plan.repNodes[i]], change.touched)
	})
	res := &Result{Model: m, Resources: map[string]*xds.Resources{}}
	full := newTranslations(m)
	type shared struct {
		before *xds.Resources
		key    string
	}
	applied := map[shared]*xds.Resources{}
	for i, n := range nodes {
		k := plan.keys[i]
		if k == "" {
			res.Resources[n.ID] = full.forProxy(plan.proxies[i], n)
			continue
		}
		s := shared{last[n.ID], k}
		if r, done := applied[s]; done {
			res.Resources[n.ID] = r
			continue
		}
		r, ok := updates[plan.index[k]].Apply(m, plan.proxies[i], s.before)
		if !ok {
			return nil, false
		}
		applied[s], res.Resources[n.ID] = r, r
	}
	reps := representativeProblems(m, plan, change.touched)
	problems := rulesProblems(m, full, updates, reps.problems)
	rulesStatus(m, prev, change, problems)
	res.Groups = len(applied) + len(full.byGroup)
	res.memo = rulesMemo(before.memo, full, plan, nodes, res, updates, reps, change.affected)
	return res, true
}

// rulesPlan is which nodes take the scoped path: keys[i] is node i's
// outbound key ("" for nodes translated in full), reps one proxy per key
// with the node whose resources it starts from.
type rulesPlan struct {
	proxies  []xds.Proxy
	keys     []string
	index    map[string]int
	reps     []xds.Proxy
	repNodes []string
	// olds are the reps as prev saw them.
	olds []xds.Proxy
	// covered are the namespaces (and Sidecar) a connected sidecar
	// stands for, as Compute's sidecarHalves decides.
	covered map[string]bool
}

func planRules(m, prev *model.Model, nodes []Node, last map[string]*xds.Resources) (*rulesPlan, bool) {
	plan := &rulesPlan{proxies: make([]xds.Proxy, len(nodes)), keys: make([]string, len(nodes)), index: map[string]int{}, covered: map[string]bool{}}
	for i, n := range nodes {
		if _, ok := last[n.ID]; !ok {
			return nil, false
		}
		p, found := ProxyFor(m, n)
		if !found {
			return nil, false
		}
		plan.proxies[i] = p
		if generatorOf(n) == GeneratorGRPC || p.Type != names.Sidecar {
			continue
		}
		old, found := ProxyFor(prev, n)
		key := xds.OutboundKey(m, p)
		if !found || xds.OutboundKey(prev, old) != key || xds.GroupKey(old) != xds.GroupKey(p) {
			return nil, false
		}
		plan.keys[i] = key
		plan.covered[p.Namespace+"|"+xds.SidecarKey(m, p)] = true
		if _, ok := plan.index[key]; ok {
			continue
		}
		if !sameHosts(xds.OutboundScope(prev, old), xds.OutboundScope(m, p)) {
			return nil, false
		}
		plan.index[key] = len(plan.reps)
		plan.reps = append(plan.reps, p)
		plan.repNodes = append(plan.repNodes, n.ID)
		plan.olds = append(plan.olds, old)
	}
	return plan, true
}

// repProblems are the touched hosts' problems in the representatives'
// outbound halves, by the halves' keys.
type repProblems struct {
	keys     []string
	problems [][]xds.ObjectProblem
}

// representativeProblems are the touched hosts' problems in the outbound
// halves of the namespaces no connected sidecar stands for, the
// representatives Compute translates for status.
func representativeProblems(m *model.Model, plan *rulesPlan, touched map[string]bool) repProblems {
	var reps []xds.Proxy
	var keys []string
	seen := map[string]bool{}
	for _, p := range representativeSidecars(m) {
		k := xds.OutboundKey(m, p)
		if plan.covered[p.Namespace+"|"+xds.SidecarKey(m, p)] || seen[k] {
			continue
		}
		if _, connected := plan.index[k]; connected {
			continue
		}
		seen[k] = true
		reps, keys = append(reps, p), append(keys, k)
	}
	out := make([][]xds.ObjectProblem, len(reps))
	parallel.Each(len(reps), func(i int) { out[i] = xds.OutboundRulesProblems(m, reps[i], touched) })
	return repProblems{keys: keys, problems: out}
}
