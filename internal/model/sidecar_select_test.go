package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSelectingByIndexEqualsScan: the Sidecars the label index finds for
// a pod are exactly, and in the same order, those SelectsLabels accepts
// among all of the namespace's, with selectors of one or more labels and
// empty values (which match a missing label).
func TestSelectingByIndexEqualsScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	keys, values := []string{"app", "version", "tier"}, []string{"", "a", "b"}
	randomLabels := func(n int) map[string]string {
		out := map[string]string{}
		for range n {
			out[keys[r.IntN(len(keys))]] = values[r.IntN(len(values))]
		}
		return out
	}
	for run := range 500 {
		var selected []*Sidecar
		for i := range r.IntN(8) {
			sel := randomLabels(1 + r.IntN(3))
			selected = append(selected, &Sidecar{Selector: sel})
			selected[i].Ref.Name = fmt.Sprint("s", i)
		}
		x := sidecarIndex{selected: map[string][]*Sidecar{"ns": selected}, pairs: map[string]*selectorPairs{"ns": indexSelectors(selected)}}
		for range 10 {
			labels := randomLabels(r.IntN(4))
			want := slices.DeleteFunc(slices.Clone(selected), func(s *Sidecar) bool { return !SelectsLabels(s.Selector, labels) })
			if got := x.selecting("ns", labels); !slices.Equal(got, want) {
				t.Fatalf("run %d, labels %v: %d Sidecars, want %d", run, labels, len(got), len(want))
			}
			var first *Sidecar
			if len(want) > 0 {
				first = want[0]
			}
			if got := x.first("ns", labels); got != first {
				t.Fatalf("run %d, labels %v: first %v, want %v", run, labels, got, first)
			}
			unindexed := sidecarIndex{selected: x.selected}
			if got := unindexed.selecting("ns", labels); !slices.Equal(got, want) {
				t.Fatalf("run %d, labels %v, no index: %d Sidecars, want %d", run, labels, len(got), len(want))
			}
		}
	}
}
