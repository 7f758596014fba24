package translate

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
)

// TestPodsAfterRulesMatchesFullTranslation checks the translations a
// rules change leaves (mesh.ComputeRulesSince's memo): on every golden
// case, with the case's proxy and a sidecar per pod connected, every rule
// edit the scoped path takes is followed by every pod edit, and
// mesh.ComputePodsSince from the rules path's result, when it takes the
// change, gives every proxy what mesh.Compute gives, with the same status
// and waiting nodes; and a Join of the same nodes gives what the rules
// path gave. Most must be taken: without the memo none would be.
func TestPodsAfterRulesMatchesFullTranslation(t *testing.T) {
	taken, declined := 0, 0
	for _, c := range editableCases(t) {
		in, files := c.in, c.files
		b := load(t, files)
		caseNode := caseNodes(t, in, c.h)[0]
		nodes := podNodes(b, caseNode)
		before := mesh.Compute(b, nodes)
		for _, re := range ruleEdits {
			for i := 0; ; i++ {
				ruled := load(t, files)
				if !re.apply(ruled, i) {
					break
				}
				rules, ok := mesh.ComputeRulesSince(ruled, nodes, before)
				if !ok {
					continue
				}
				what := fmt.Sprintf("%s, %s of rule %d", in, re.name, i)
				joinedAgain(t, what, rules, nodes)
				for _, pe := range podEdits {
					edited := load(t, files)
					re.apply(edited, i)
					if !pe.apply(edited, 0) {
						continue
					}
					if podsAfter(t, what+", then "+pe.name+" of pod 0", edited, caseNode, rules) {
						taken++
					} else {
						declined++
					}
				}
			}
		}
	}
	t.Logf("%d pod edits after a rules change took the pod path, %d declined", taken, declined)
	if taken == 0 || declined > taken {
		t.Errorf("the pod path took %d edits after a rules change and declined %d", taken, declined)
	}
}

// podsAfter compares ComputePodsSince from prev with Compute on b; false
// when the pod path declines.
func podsAfter(t *testing.T, what string, b *bundle.Bundle, caseNode mesh.Node, prev *mesh.Result) bool {
	t.Helper()
	nodes := podNodes(b, caseNode)
	got, ok := mesh.ComputePodsSince(b, nodes, prev)
	if !ok {
		return false
	}
	samePodPath(t, what, nodes, mesh.Compute(b, nodes), got)
	return true
}

// samePodPath compares the pod path's result with the full translation's:
// every node's resources, the waiting nodes and the status.
func samePodPath(t *testing.T, what string, nodes []mesh.Node, want, got *mesh.Result) {
	t.Helper()
	for _, n := range nodes {
		w, g := want.Resources[n.ID], got.Resources[n.ID]
		if (w == nil) != (g == nil) {
			t.Errorf("%s, %s: configured %v, by the full translation %v", what, n.ID, g != nil, w != nil)
			continue
		}
		if w != nil {
			sameResources(t, what+", "+n.ID, w, g)
		}
	}
	if fmt.Sprint(want.Waiting) != fmt.Sprint(got.Waiting) {
		t.Errorf("%s: waiting %v, the full translation %v", what, got.Waiting, want.Waiting)
	}
	if w, g := want.Model.Status.Canonical(), got.Model.Status.Canonical(); w != g {
		t.Errorf("%s: status differs\nfull:\n%s\npod path:\n%s", what, w, g)
	}
}

// joinedAgain joins the nodes res configured to res: a Join must accept
// the rules path's memo and hand every node the resources it has.
func joinedAgain(t *testing.T, what string, res *mesh.Result, nodes []mesh.Node) {
	t.Helper()
	joined, ok := mesh.Join(res, nodes)
	if !ok {
		t.Errorf("%s: Join refused the rules path's result", what)
		return
	}
	for _, n := range nodes {
		if w, g := res.Resources[n.ID], joined.Resources[n.ID]; w != nil {
			sameResources(t, what+", joined again, "+n.ID, w, g)
		}
	}
	if joined.NewProblems != 0 {
		t.Errorf("%s: joining the same nodes again found %d new problems", what, joined.NewProblems)
	}
}

// editableCase is a golden case the change paths are checked on.
type editableCase struct {
	in    string
	h     caseHeader
	files []string
}

// editableCases are the golden cases but those whose node needs a
// verified identity (grpc-mtls), with the files each loads.
func editableCases(t *testing.T) []editableCase {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	var out []editableCase
	for _, in := range cases {
		h := header(t, in)
		if h.generator == "grpc-mtls" {
			continue
		}
		out = append(out, editableCase{in: in, h: h, files: append(h.with, in)})
	}
	return out
}
