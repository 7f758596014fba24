package translate

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/configdump"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// mapMemo is an xds.Memo keyed by the typed inputs themselves.
type mapMemo struct {
	outbound map[xds.OutboundInput]*xds.Resources
	group    map[xds.GroupInput]*xds.Resources
}

func (mm *mapMemo) Outbound(k xds.OutboundInput, f func() *xds.Resources) *xds.Resources {
	if r, ok := mm.outbound[k]; ok {
		return r
	}
	mm.outbound[k] = f()
	return mm.outbound[k]
}

func (mm *mapMemo) Group(k xds.GroupInput, f func() *xds.Resources) *xds.Resources {
	if r, ok := mm.group[k]; ok {
		return r
	}
	mm.group[k] = f()
	return mm.group[k]
}

// TestOutboundKeyIsWholeInput: on every golden case, the case's proxy
// translated with a memo that already holds a decoy's outbound half gets
// exactly what it gets alone, problems included. The decoy is the proxy
// stripped of all its outbound input does not name (its pod, its address,
// every label no rule matches sources on), so whenever the two share an
// outbound input, a half that read anything outside it would differ.
func TestOutboundKeyIsWholeInput(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	shared := 0
	for _, in := range cases {
		res := runCase(t, in)
		m, p := res.Model, res.Proxy
		if p.Type == names.Router {
			continue // a gateway has no outbound half
		}
		decoy := p
		decoy.Workload, decoy.IP, decoy.Labels = nil, "192.0.2.1", map[string]string{}
		for _, k := range m.SourceLabelKeys {
			if v, ok := p.Labels[k]; ok {
				decoy.Labels[k] = v
			}
		}
		if xds.OutboundOf(m, decoy) != xds.OutboundOf(m, p) {
			continue // another Sidecar selects the decoy: nothing to share
		}
		shared++
		mm := &mapMemo{outbound: map[xds.OutboundInput]*xds.Resources{}, group: map[xds.GroupInput]*xds.Resources{}}
		xds.Translate(m, decoy, mm)
		mm.group = map[xds.GroupInput]*xds.Resources{} // the decoy's own part reports nothing of p's
		got := xds.Translate(m, p, mm)
		want := xds.Translate(m, p, nil)
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		if a, b := dump(t, got), dump(t, want); a != b {
			t.Errorf("%s: with the decoy's outbound half the config differs from the proxy's own", name)
		}
		var parts []*xds.Resources
		for _, r := range mm.outbound {
			parts = append(parts, r)
		}
		for _, r := range mm.group {
			parts = append(parts, r)
		}
		if a, b := problems(parts...), problems(want); a != b {
			t.Errorf("%s: problems through the memo:\n%s\nwant:\n%s", name, a, b)
		}
	}
	if shared < len(cases)/2 {
		t.Errorf("only %d of %d cases let the decoy share the outbound half: the check proves little", shared, len(cases))
	}
}

func dump(t *testing.T, r *xds.Resources) string {
	t.Helper()
	d, err := configdump.Build(r, "memo")
	if err != nil {
		t.Fatal(err)
	}
	out, err := configdump.YAML(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// problems renders the distinct problems of rs, sorted.
func problems(rs ...*xds.Resources) string {
	set := map[string]bool{}
	for _, r := range rs {
		for _, p := range r.Problems {
			set[model.FormatProblem(p.Object, p.Problem)] = true
		}
	}
	var out []string
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
