package bench

import (
	"sync"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/proto"
)

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

// Proxies receiving the same bytes at once share one decoded entry, and
// each sees the error of bytes that do not decode.
func TestEntriesDecodedOnceForConcurrentProxies(t *testing.T) {
	s := newStore()
	raw, err := proto.Marshal(&clusterv3.Cluster{Name: "outbound|80||a.ns.svc.cluster.local"})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]*entry, 32)
	errs := make([]error, 32)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], _ = s.entry(typeCDS, ropeOf(raw)) })
	}
	for i := range errs {
		wg.Go(func() { _, errs[i] = s.entry(typeCDS, ropeOf([]byte{0x0a, 0x7f})) })
	}
	wg.Wait()
	for i, e := range got {
		if e == nil || e != got[0] || e.name != "outbound|80||a.ns.svc.cluster.local" {
			t.Fatalf("proxy %d got %v, want the one entry %v", i, e, got[0])
		}
	}
	for i, err := range errs {
		if err == nil {
			t.Fatalf("proxy %d: truncated bytes decoded without an error", i)
		}
	}
	if len(s.decoding[typeCDS]) != 0 {
		t.Fatalf("%d decodes still marked in flight", len(s.decoding[typeCDS]))
	}
}
