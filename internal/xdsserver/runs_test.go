package xdsserver

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/xds"
)

// flat is the set's items in order, in one slice.
func (s *typeSet) flat() []*item { return slices.Collect(s.all()) }

// outboundClusters are n clusters shared by groups, by pointer.
func outboundClusters(n int) []*clusterv3.Cluster {
	out := make([]*clusterv3.Cluster, n)
	for i := range out {
		out[i] = &clusterv3.Cluster{Name: fmt.Sprintf("outbound|80||svc-%04d.ns.svc.cluster.local", i)}
	}
	return out
}

// withInbound is the shared clusters plus a group's own, sorted.
func withInbound(shared []*clusterv3.Cluster, own ...string) []*clusterv3.Cluster {
	out := slices.Clone(shared)
	for _, n := range own {
		out = append(out, &clusterv3.Cluster{Name: n})
	}
	slices.SortFunc(out, func(a, b *clusterv3.Cluster) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func itemNames(items []*item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.name
	}
	return out
}

// Groups whose clusters differ in their inbound ones hold the shared
// outbound clusters in shared runs, in name order, and so do the groups of
// the next publish; the sets' encodings are the bytes of their items in
// order, whatever the runs.
func TestSetsShareRunsOfCommonItems(t *testing.T) {
	shared := outboundClusters(1600)
	b := NewBuilder()
	one := mustSnapshot(t, b, &xds.Resources{Clusters: withInbound(shared, "inbound|8080||")}).sets[typeCluster]
	two := mustSnapshot(t, b, &xds.Resources{Clusters: withInbound(shared, "inbound|9090||", "BlackHoleCluster")}).sets[typeCluster]
	for _, s := range []*typeSet{one, two} {
		if len(s.runs) < 2 || s.n != len(s.flat()) || !slices.IsSorted(itemNames(s.flat())) {
			t.Fatalf("a set of %d items: %d runs, %d items in order: %v", s.n, len(s.runs), len(s.flat()), slices.IsSorted(itemNames(s.flat())))
		}
	}
	if n := sharedRuns(one, two); n < len(one.runs)-3 {
		t.Fatalf("%d of %d runs shared; the sets differ in two items", n, len(one.runs))
	}
	b.Next()
	three := mustSnapshot(t, b, &xds.Resources{Clusters: withInbound(shared, "inbound|7070||")}).sets[typeCluster]
	if n := sharedRuns(one, three); n < len(one.runs)-2 {
		t.Fatalf("the next publish shares %d of %d runs", n, len(one.runs))
	}
	cc := newChunkCache(maxChunkBytes)
	for _, s := range []*typeSet{one, two, three} {
		got := encSotWRuns(cc, typeURLs[typeCluster], s.version, s.runs)
		want := encSotW(nil, typeURLs[typeCluster], s.version, s.flat())
		if !bytes.Equal(bytes.Join(got.parts, nil), bytes.Join(want.parts, nil)) || got.size != want.size {
			t.Fatal("a set's body must be its items' entries in order, however it is cut")
		}
	}
}

// sharedRuns counts a's runs that b holds too (the same backing array).
func sharedRuns(a, b *typeSet) int {
	n := 0
	for _, r := range a.runs {
		for _, s := range b.runs {
			if len(r) == len(s) && &r[0] == &s[0] {
				n++
				break
			}
		}
	}
	return n
}

// A diff of sets that share runs is the diff of their items: on random
// changes to a large set (clusters added, removed, changed), across
// publishes, it equals a walk over the flat lists.
func TestDiffOfRunsIsDiffOfItems(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	b := NewBuilder()
	cur := outboundClusters(700)
	old := mustSnapshot(t, b, &xds.Resources{Clusters: cur}).sets[typeCluster]
	for round := range 300 {
		cur = slices.Clone(cur)
		for range rng.IntN(4) + 1 {
			switch i := rng.IntN(len(cur)); rng.IntN(3) {
			case 0:
				cur = slices.Delete(cur, i, i+1)
			case 1:
				cur = withInbound(cur, fmt.Sprintf("inbound|%d||", rng.IntN(100000)))
			default:
				cur[i] = &clusterv3.Cluster{Name: cur[i].Name, AltStatName: fmt.Sprint(round)}
			}
		}
		if rng.IntN(4) == 0 {
			b.Next()
		}
		set := mustSnapshot(t, b, &xds.Resources{Clusters: cur}).sets[typeCluster]
		got, want := diffSets(old, set), flatDiff(old.flat(), set.flat())
		if !slices.Equal(itemNames(got.changed), itemNames(want.changed)) || !slices.Equal(got.removed, want.removed) {
			t.Fatalf("round %d: diff changed %v removed %v, want %v %v", round, itemNames(got.changed), got.removed, itemNames(want.changed), want.removed)
		}
		if set.version == old.version && len(want.changed)+len(want.removed) > 0 {
			t.Fatalf("round %d: changed content kept version %s", round, set.version)
		}
		old = set
	}
	if v := mustSnapshot(t, NewBuilder(), &xds.Resources{Clusters: cur}).Version(resource.ClusterType); v != old.version {
		t.Fatalf("a new builder gives the last set version %s, want %s: versions are content", v, old.version)
	}
}

// flatDiff is diffSets' meaning, on flat lists.
func flatDiff(a, b []*item) *setDiff {
	d := &setDiff{}
	old := map[string]*item{}
	for _, it := range a {
		old[it.name] = it
	}
	cur := map[string]bool{}
	for _, it := range b {
		cur[it.name] = true
		if o := old[it.name]; o == nil || o.version != it.version {
			d.changed = append(d.changed, it)
		}
	}
	for _, it := range a {
		if !cur[it.name] {
			d.removed = append(d.removed, it.name)
		}
	}
	return d
}
