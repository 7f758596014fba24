package mesh

import (
	"maps"
	"sort"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
)

// Join configures nodes that connected after prev was computed, from
// prev's model and translations: no cache is read and no model is built.
// A node whose group prev already translated gets the very pointer prev's
// nodes of that group hold; a new group translates only the halves prev
// has not. The result is what Compute gives prev's nodes and these
// together (join_test.go checks it), and prev is not modified.
//
// ok is false when prev carries no translations (it came from the
// endpoint-only or routes-only path: its groups' halves are not those of
// its model); the caller runs Compute.
//
// Status is prev's: Join adds nothing to it. NewProblems counts what the
// new translations found that the status lacks (a proxyless client's
// fields gRPC cannot apply, a workload-selected rule's subsets as the new
// proxy sees them); the caller then runs Compute, which reports them.
func Join(prev *Result, nodes []Node) (*Result, bool) {
	if prev == nil || prev.memo == nil {
		return nil, false
	}
	t := prev.memo.extended()
	res := &Result{Model: prev.Model, Resources: maps.Clone(prev.Resources), memo: t}
	proxies := make([]xds.Proxy, len(nodes))
	known := make([]bool, len(nodes))
	for i, n := range nodes {
		proxies[i], known[i] = ProxyFor(t.m, n)
	}
	t.sidecarHalves(proxies, known, nodes, nil)
	waiting := map[string]bool{}
	for _, id := range prev.Waiting {
		waiting[id] = true
	}
	for i, n := range nodes {
		if !known[i] {
			waiting[n.ID] = true
			delete(res.Resources, n.ID)
			continue
		}
		delete(waiting, n.ID)
		res.Resources[n.ID] = t.forProxy(proxies[i], n)
	}
	for id := range waiting {
		res.Waiting = append(res.Waiting, id)
	}
	sort.Strings(res.Waiting)
	res.Groups = len(t.byGroup)
	res.NewProblems = unreported(t.m.Status, t.partsSince(prev.memo))
	return res, true
}

// extended is a copy of t to translate more nodes into: its maps are new,
// the translations in them shared.
func (t *translations) extended() *translations {
	return &translations{m: t.m, byGroup: maps.Clone(t.byGroup), outbound: maps.Clone(t.outbound), inbound: maps.Clone(t.inbound),
		workloads: maps.Clone(t.workloads), carried: maps.Clone(t.carried), stale: t.stale}
}

// translated marks the halves t holds as sidecarHalves marks those it
// has queued ("out|" or "in|" and the key), so that a Join translates only
// halves its previous result lacks.
func (t *translations) translated() map[string]bool {
	seen := make(map[string]bool, len(t.outbound)+len(t.inbound))
	for k := range t.outbound {
		seen["out|"+k] = true
	}
	for k := range t.inbound {
		seen["in|"+k] = true
	}
	return seen
}

// partsSince are the translations t holds that old does not.
func (t *translations) partsSince(old *translations) []*xds.Resources {
	var out []*xds.Resources
	for _, pair := range [][2]map[string]*xds.Resources{{t.outbound, old.outbound}, {t.inbound, old.inbound}} {
		for k, r := range pair[0] {
			if pair[1][k] != r {
				out = append(out, r)
			}
		}
	}
	return out
}

// unreported counts the parts' problems that status does not hold.
func unreported(status *model.Status, parts []*xds.Resources) int {
	n := 0
	for _, r := range parts {
		for _, pr := range r.Problems {
			if !holds(status.Problems(pr.Object), pr.Problem) {
				n++
			}
		}
	}
	return n
}

func holds(list []model.Problem, p model.Problem) bool {
	for _, q := range list {
		if q == p {
			return true
		}
	}
	return false
}
