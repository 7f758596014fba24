package mesh

import (
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
)

// rulesMemo is the translations ComputeRulesSince leaves for a later pod
// change or join (ComputePodsSince, Join), in the shape ComputePodsSince
// leaves its own: every group's resources as this path made them; for
// sidecars, old's workload and inbound half (a rules change leaves both:
// the path runs only when no group changed, and takes inbound halves from
// old), and the outbound halves' problems carried, not the halves (this
// path updates groups, not halves: a join translates a half it lacks);
// the full translations' own parts (t holds them, and is what is
// returned, filled with the rest). A half's problems are old's, but for
// the rules the change affected, whose problems in the half are all
// found again translating its touched hosts (rulesChange), plus those.
// nil, and the caller runs Compute next time, when old is nil or lacks
// what a sidecar's group or half needs.
func rulesMemo(old, t *translations, plan *rulesPlan, nodes []Node, res *Result, updates []*xds.OutboundUpdate, reps repProblems, affected map[model.ObjectRef]bool) *translations {
	if old == nil {
		return nil
	}
	for i, n := range nodes {
		if plan.keys[i] == "" {
			continue
		}
		group := xds.GroupKey(plan.proxies[i])
		w, ok := old.workloads[group]
		if !ok {
			return nil
		}
		t.byGroup[group], t.workloads[group] = res.Resources[n.ID], w
		if in, ok := old.inbound[group]; ok {
			t.inbound[group] = in
		} else if probs, ok := old.carried["in|"+group]; ok {
			t.carried["in|"+group] = probs
		} else {
			return nil
		}
	}
	for k, i := range plan.index {
		if !carryOutbound(old, t, k, affected, updates[i].Problems) {
			return nil
		}
		t.keepUpdatedHalf(old, k, updates[i])
	}
	for i, k := range reps.keys {
		if !carryOutbound(old, t, k, affected, reps.problems[i]) {
			return nil
		}
	}
	return t
}

// carryOutbound carries into t the problems of outbound half k after the
// change: old's of unaffected objects, and found.
func carryOutbound(old, t *translations, k string, affected map[model.ObjectRef]bool, found []xds.ObjectProblem) bool {
	probs, ok := old.problemsOf("out|" + k)
	if !ok {
		return false
	}
	var out []xds.ObjectProblem
	seen := map[xds.ObjectProblem]bool{}
	for _, p := range probs {
		if !affected[p.Object] && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range found {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	t.carried["out|"+k] = out
	return true
}

// keepUpdatedHalf keeps, as a stale half for the pod path and joins
// (pods_stale_halves.go), old's outbound half k with the rules update
// applied and the problems carryOutbound found: a pod back under a new
// name after a rules change then refreshes it instead of translating it.
// Nothing is kept when old holds no half for k.
func (t *translations) keepUpdatedHalf(old *translations, k string, u *xds.OutboundUpdate) {
	half, changed, identities := old.outbound[k], map[string]bool(nil), map[string]bool(nil)
	if half == nil {
		s, ok := old.stale[k]
		if !ok {
			return
		}
		half, changed, identities = s.half, s.changed, s.identities
	}
	h, ok := u.ApplyToHalf(half)
	if !ok {
		return
	}
	h.Problems = t.carried["out|"+k]
	if t.stale == nil {
		t.stale = map[string]staleHalf{}
	}
	t.stale[k] = staleHalf{half: h, changed: changed, identities: identities}
}
