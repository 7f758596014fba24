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
		return memoCheck(s, s.refs, checkKey{sets: [2]*typeState{st}, names: st.names}, func() string { calls++; return st.entriesNames() })
	}
	check(held)
	check(gone)
	s.compact([][numTypes]*typeState{{typeCDS: held}})
	if got := check(held); got != "a" || calls != 2 {
		t.Fatalf("held set's check: %q after %d calls, want the kept verdict after 2", got, calls)
	}
	if _, ok := s.refs[checkKey{sets: [2]*typeState{gone}, names: gone.names}]; ok {
		t.Fatal("the check of a set nobody holds survived compaction")
	}
	if s.states[typeCDS][gone.sum] != nil {
		t.Fatal("a set nobody holds survived compaction")
	}
}

// A check that reads a set only for its names is not run again for a set
// with the same names and other content (an endpoint change), and is for
// a set with other names.
func TestCoverageCheckedAgainOnlyForOtherNames(t *testing.T) {
	s := newStore()
	cds := s.replace(typeCDS, []*entry{{name: "a", hash: 1, eds: true}, {name: "b", hash: 2, eds: true}})
	lds := s.replace(typeLDS, []*entry{{name: "l", hash: 3}})
	rds := s.replace(typeRDS, []*entry{{name: "r", hash: 4}})
	eds := s.replace(typeEDS, []*entry{{name: "a", hash: 5}, {name: "b", hash: 6}})
	verdict := func(eds *typeState) verdict {
		return s.check([numTypes]*typeState{typeCDS: cds, typeEDS: eds, typeLDS: lds, typeRDS: rds})
	}
	if !verdict(eds).complete {
		t.Fatal("every EDS cluster has its load assignment: complete")
	}
	changed := s.apply(typeEDS, eds, []*entry{{name: "a", hash: 7}}, nil)
	if changed == eds || changed.names != eds.names {
		t.Fatal("a changed load assignment makes another set with the same names")
	}
	if !verdict(changed).complete || len(s.edsCovered) != 1 {
		t.Fatalf("same names: the verdict is reused (%d coverage checks kept, want 1)", len(s.edsCovered))
	}
	fewer := s.apply(typeEDS, changed, nil, []string{"b"})
	if verdict(fewer).complete || len(s.edsCovered) != 2 {
		t.Fatalf("a load assignment gone: incomplete, checked anew (%d coverage checks, want 2)", len(s.edsCovered))
	}
	s.compact([][numTypes]*typeState{{typeCDS: cds, typeEDS: changed, typeLDS: lds, typeRDS: rds}})
	if len(s.edsCovered) != 1 || !s.edsCovered[checkKey{sets: [2]*typeState{cds}, names: eds.names}] {
		t.Fatalf("compaction keeps the check of names still held and drops the other: %v", s.edsCovered)
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

// Cluster sets with the same EDS clusters share one follow-up list, also
// across a compaction; other EDS clusters get their own.
func TestFollowUpListsSharedByEDSNames(t *testing.T) {
	s := newStore()
	a := s.replace(typeCDS, []*entry{{name: "b", hash: 1, eds: true}, {name: "a", hash: 2, eds: true}, {name: "s", hash: 3}})
	sans := s.replace(typeCDS, []*entry{{name: "b", hash: 4, eds: true}, {name: "a", hash: 5, eds: true}, {name: "s", hash: 3}})
	first := s.followUp(typeCDS, a)
	if len(first) != 2 || first[0] != "a" || first[1] != "b" {
		t.Fatalf("follow-up names %v, want the EDS clusters sorted", first)
	}
	if !sameList(s.followUp(typeCDS, sans), first) {
		t.Fatal("a set with the same EDS clusters must share the list")
	}
	s.compact([][numTypes]*typeState{{typeCDS: a}})
	again := s.replace(typeCDS, []*entry{{name: "b", hash: 6, eds: true}, {name: "a", hash: 7, eds: true}})
	if !sameList(s.followUp(typeCDS, again), first) {
		t.Fatal("the list of a held set's EDS clusters must survive compaction")
	}
	other := s.replace(typeCDS, []*entry{{name: "a", hash: 2, eds: true}, {name: "c", hash: 8, eds: true}})
	if got := s.followUp(typeCDS, other); sameList(got, first) || len(got) != 2 || got[1] != "c" {
		t.Fatalf("other EDS clusters: %v, want a list of their own", got)
	}
}
