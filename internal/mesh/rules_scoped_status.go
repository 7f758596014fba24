package mesh

import (
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
)

// rulesProblems are the problems of everything the scoped path
// translated: nodes and representative gateways in full, the touched
// hosts of every outbound half, those of the namespaces' representatives.
func rulesProblems(m *model.Model, full *translations, updates []*xds.OutboundUpdate, reps [][]xds.ObjectProblem) []xds.ObjectProblem {
	for _, p := range representativeGateways(m) {
		full.gatewayProblems(p)
	}
	var out []xds.ObjectProblem
	for _, r := range full.parts() {
		out = append(out, r.Problems...)
	}
	for _, u := range updates {
		out = append(out, u.Problems...)
	}
	for _, r := range reps {
		out = append(out, r...)
	}
	return out
}

// rulesStatus completes m's status (the model's own problems) as Compute
// would: an object the change cannot have affected keeps prev's problems
// (its model and translation problems are what they were), the affected
// rules and the Gateways (whose problems come from gateway translations,
// all run again) get those just found.
func rulesStatus(m, prev *model.Model, change *rulesChange, found []xds.ObjectProblem) {
	// Any order: an object's problems keep theirs, and status is by object.
	prev.Status.EachObject(func(ref model.ObjectRef) {
		if change.affected[ref] || ref.Kind == "Gateway" {
			return
		}
		for _, p := range prev.Status.Problems(ref) {
			m.Status.Add(ref, p.Field, "%s", p.Reason)
		}
	})
	for _, p := range found {
		m.Status.Add(p.Object, p.Field, "%s", p.Reason)
	}
}

// hasProxyProblems reports problems of generated resources, which no
// object owns, so which hosts' translation found them is not known.
func hasProxyProblems(st *model.Status) bool {
	found := false
	st.EachObject(func(ref model.ObjectRef) {
		found = found || ref.Kind == "Proxy" && len(st.Problems(ref)) > 0
	})
	return found
}
