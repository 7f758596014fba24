package xdsserver

import (
	"runtime"
	"testing"
	"weak"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/xds"
)

const testNode = "sidecar~10.0.0.1~a.ns~ns.svc.cluster.local"

// withEndpoints adds a load assignment per name, with a port that makes
// its content differ.
func withEndpoints(r *xds.Resources, port uint32, names ...string) *xds.Resources {
	for _, n := range names {
		r.Endpoints = append(r.Endpoints, &endpointv3.ClusterLoadAssignment{ClusterName: n, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Address: "10.0.0.2", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}}}}},
		}}})
	}
	return r
}

func mustSnapshot(t testing.TB, b *Builder, r *xds.Resources) *Snapshot {
	t.Helper()
	s, err := b.Snapshot(r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuilderSharesItemsAndSets(t *testing.T) {
	b := NewBuilder()
	// Two groups translated separately: equal content, different protos.
	one := mustSnapshot(t, b, resources("x", "y"))
	two := mustSnapshot(t, b, resources("x", "y"))
	if one.sets[typeCluster] != two.sets[typeCluster] {
		t.Error("groups with the same clusters must share one set")
	}
	if one.sets[typeCluster].flat()[0].any != two.sets[typeCluster].flat()[0].any {
		t.Error("equal protos must share one marshalled Any")
	}
	b.Next()
	three := mustSnapshot(t, b, resources("x", "y"))
	if three.sets[typeCluster] != one.sets[typeCluster] {
		t.Error("a set unchanged since the last publish must be the same set, so the cache skips it")
	}
	four := mustSnapshot(t, b, resources("x", "z"))
	if four.sets[typeCluster] == one.sets[typeCluster] || four.Version(resource.ClusterType) == one.Version(resource.ClusterType) {
		t.Error("changed clusters must give a new set and version")
	}
	if four.sets[typeCluster].flat()[0] != one.sets[typeCluster].flat()[0] {
		t.Error("the unchanged cluster x must keep its item across publishes")
	}
}

// Lists are recognised by identity (first element and length), so a
// shorter view of the same array is a different list.
func TestBuilderTellsSharedListsApart(t *testing.T) {
	b := NewBuilder()
	r := resources("x", "y")
	whole := mustSnapshot(t, b, r)
	again := mustSnapshot(t, b, &xds.Resources{Clusters: r.Clusters})
	part := mustSnapshot(t, b, &xds.Resources{Clusters: r.Clusters[:1]})
	if again.sets[typeCluster] != whole.sets[typeCluster] {
		t.Error("the same list must give the same set")
	}
	if len(part.sets[typeCluster].flat()) != 1 || part.Version(resource.ClusterType) == whole.Version(resource.ClusterType) {
		t.Error("a prefix of a list is another list")
	}
	b.Next()
	if mustSnapshot(t, b, &xds.Resources{Clusters: r.Clusters}).sets[typeCluster] != whole.sets[typeCluster] {
		t.Error("a list kept from the last publish must give the same set")
	}
}

// The config-size metric is counted per set: a snapshot's size is what
// its resources encode to, whichever sets it shares with others.
func TestSnapshotBytesAreItsResourcesEncoded(t *testing.T) {
	b := NewBuilder()
	encoded := func(r *xds.Resources) int {
		n := 0
		var all []resourceMsg
		for _, l := range r.Listeners {
			all = append(all, l)
		}
		for _, c := range r.Clusters {
			all = append(all, c)
		}
		for _, e := range r.Endpoints {
			all = append(all, e)
		}
		for _, m := range all {
			raw, err := b.opts.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			n += len(raw)
		}
		return n
	}
	one := withEndpoints(resources("x", "y"), 80, "x", "y")
	two := withEndpoints(resources("x", "y"), 81, "x", "y")
	s1, s2 := mustSnapshot(t, b, one), mustSnapshot(t, b, two)
	if s1.sets[typeCluster] != s2.sets[typeCluster] {
		t.Fatal("the two snapshots must share their clusters for this test")
	}
	for i, c := range []struct {
		s *Snapshot
		r *xds.Resources
	}{{s1, one}, {s2, two}} {
		if got, want := c.s.bytes(), encoded(c.r); got != want || want == 0 {
			t.Errorf("snapshot %d: bytes() = %d, its resources encode to %d", i, got, want)
		}
	}
}

// A settled publish lets go of what only the publish before it held (a
// list a group no longer has), and keeps serving what it used itself.
func TestSettledBuilderLetsGoOfTheLastPublish(t *testing.T) {
	b := NewBuilder()
	old := resources("x", "y")
	first := mustSnapshot(t, b, old).sets[typeCluster]
	gone := weak.Make(&old.Clusters[0])
	b.Next()
	kept := resources("x", "y")
	if mustSnapshot(t, b, kept).sets[typeCluster] != first {
		t.Fatal("equal clusters must give the last publish's set")
	}
	b.Settle()
	old = nil
	runtime.GC()
	if gone.Value() != nil {
		t.Error("a list only the publish before the last held is still reachable from the builder")
	}
	if mustSnapshot(t, b, &xds.Resources{Clusters: kept.Clusters}).sets[typeCluster] != first {
		t.Error("after settling, the publish's own list must still give its set")
	}
}
