package bench

import "testing"

// Compaction keeps the checks of the sets proxies still hold and drops
// those of sets nobody holds, with the sets themselves.
func TestCompactKeepsChecksOfHeldSets(t *testing.T) {
	s := newStore()
	held := s.replace(typeCDS, []*entry{{name: "a", hash: 1}})
	gone := s.replace(typeCDS, []*entry{{name: "b", hash: 2}})
	calls := 0
	check := func(st *typeState) string {
		return memoCheck(s, s.refs, [3]*typeState{st, nil, nil}, func() string { calls++; return st.entriesNames() })
	}
	check(held)
	check(gone)
	s.compact([][numTypes]*typeState{{typeCDS: held}})
	if got := check(held); got != "a" || calls != 2 {
		t.Fatalf("held set's check: %q after %d calls, want the kept verdict after 2", got, calls)
	}
	if _, ok := s.refs[[3]*typeState{gone, nil, nil}]; ok {
		t.Fatal("the check of a set nobody holds survived compaction")
	}
	if s.states[typeCDS][gone.sum] != nil {
		t.Fatal("a set nobody holds survived compaction")
	}
}

func (st *typeState) entriesNames() string {
	out := ""
	for n := range st.entries {
		out += n
	}
	return out
}
