package xdsserver

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/xds"
)

func resources(clusters ...string) *xds.Resources {
	r := &xds.Resources{Listeners: []*listenerv3.Listener{{Name: "a:80"}, {Name: "b:80"}}}
	for _, c := range clusters {
		r.Clusters = append(r.Clusters, &clusterv3.Cluster{Name: c})
	}
	return r
}

func TestSnapshotVersionsFollowContentPerType(t *testing.T) {
	// A builder each: separate publishes, or separate replicas.
	a, _ := NewBuilder().Snapshot(resources("x", "y"))
	b, _ := NewBuilder().Snapshot(resources("x", "y"))
	c, _ := NewBuilder().Snapshot(resources("x", "z"))
	if a.Version(resource.ClusterType) != b.Version(resource.ClusterType) || a.Version(resource.ListenerType) != b.Version(resource.ListenerType) {
		t.Error("the same content must give the same versions (restarts and replicas agree)")
	}
	if a.Version(resource.ClusterType) == c.Version(resource.ClusterType) {
		t.Error("different clusters must give a different cluster version")
	}
	if a.Version(resource.ListenerType) != c.Version(resource.ListenerType) {
		t.Error("unchanged listeners must keep their version, so they are not pushed again")
	}
}

func TestFilterSubscribedKeepsNamedAndWildcard(t *testing.T) {
	r := resources("x", "y")
	out := FilterSubscribed(r, map[string][]string{resource.ListenerType: {"b:80", "missing:1"}})
	if len(out.Listeners) != 1 || out.Listeners[0].Name != "b:80" {
		t.Errorf("listeners %v", out.Listeners)
	}
	if len(out.Clusters) != 2 {
		t.Errorf("a type asked for as a wildcard must be kept whole: %v", out.Clusters)
	}
	if len(r.Listeners) != 2 {
		t.Error("the input must not be modified (it is shared by the group)")
	}
}

func TestTrackerAcksNacksAndStreams(t *testing.T) {
	tr := newTracker(nil)
	var news, subs int
	tr.onNew = func(*corev3.Node) { news++ }
	tr.onSubscribe = func(string) { subs++ }
	node := &corev3.Node{Id: "sidecar~10.0.0.1~a.ns~ns.svc.cluster.local"}
	tr.request(1, node, resource.ListenerType, "", false, nil)
	tr.sent(1, resource.ListenerType, "v1")
	tr.request(1, nil, resource.ListenerType, "v1", false, nil)
	tr.nack(node.Id, resource.ListenerType, "v2", "bad listener")
	tr.request(2, node, resource.RouteType, "", false, []string{"r"})
	st := tr.Snapshot()
	if len(st) != 1 || st[0].Streams != 2 || st[0].Acked[resource.ListenerType] != "v1" || st[0].Nacks[resource.ListenerType].Version != "v2" {
		t.Fatalf("status %+v", st)
	}
	if news != 1 || subs != 1 {
		t.Errorf("onNew called %d times (want 1), onSubscribe %d (want 1)", news, subs)
	}
	tr.request(1, nil, resource.ListenerType, "v3", false, nil)
	if _, still := tr.Snapshot()[0].Nacks[resource.ListenerType]; still {
		t.Error("accepting a later version must clear the NACK")
	}
	tr.closed(1)
	tr.closed(2)
	if len(tr.Snapshot()) != 0 {
		t.Error("a proxy with no open stream must be forgotten")
	}
}

// TestItemVersionsMatchGoControlPlane: the per-resource versions sent over
// Delta are the ones go-control-plane computes, so a proxy reconnecting
// with initial_resource_versions is understood either way.
func TestItemVersionsMatchGoControlPlane(t *testing.T) {
	r := resources("x", "y")
	snap, err := NewBuilder().Snapshot(r)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range r.Clusters {
		raw, err := cachev3.MarshalResource(c)
		if err != nil {
			t.Fatal(err)
		}
		it := snap.sets[typeCluster].flat()[i]
		if it.name != c.Name || it.version != cachev3.HashResource(raw) {
			t.Errorf("cluster %s: item %q version %q, go-control-plane computes %q", c.Name, it.name, it.version, cachev3.HashResource(raw))
		}
		if string(it.any.GetValue()) != string(raw) {
			t.Errorf("cluster %s: the marshalled bytes differ from the deterministic encoding", c.Name)
		}
	}
}

// TestTrackerSubscriptionIsTheUnionOfTheNodesStreams: two streams with one
// node id (two processes sharing a bootstrap) asking for different
// clusters. The node's subscription, which filters its snapshot, must hold
// both; before, the last request won and a state-of-the-world answer to
// the other stream dropped its clusters, which grpc-js then took as
// deleted (found by test/grpcjs).
func TestTrackerSubscriptionIsTheUnionOfTheNodesStreams(t *testing.T) {
	tr := newTracker(nil)
	var subs int
	tr.onSubscribe = func(string) { subs++ }
	node := &corev3.Node{Id: "sidecar~10.0.0.1~a.ns~ns.svc.cluster.local"}
	tr.request(1, node, resource.ClusterType, "", false, []string{"v1", "v2"})
	tr.request(2, node, resource.ClusterType, "", false, []string{"v2"})
	if got := tr.Subscriptions(node.Id)[resource.ClusterType]; !sameNames(got, []string{"v1", "v2"}) {
		t.Fatalf("after a second stream asked for v2: %v, want v1 and v2", got)
	}
	tr.request(2, nil, resource.ClusterType, "x", false, []string{"v2", "v3"})
	if got := tr.Subscriptions(node.Id)[resource.ClusterType]; !sameNames(got, []string{"v1", "v2", "v3"}) {
		t.Fatalf("after the second stream added v3: %v", got)
	}
	if subs != 1 {
		t.Errorf("onSubscribe called %d times, want 1 (only v3 was new to the node)", subs)
	}
	tr.request(2, nil, resource.EndpointType, "", false, nil)
	tr.request(1, nil, resource.EndpointType, "", false, []string{"v1"})
	if got := tr.Subscriptions(node.Id)[resource.EndpointType]; len(got) != 0 {
		t.Errorf("one stream asks for every load assignment: %v, want all (empty)", got)
	}
	tr.closed(1)
	if got := tr.Subscriptions(node.Id)[resource.ClusterType]; !sameNames(got, []string{"v2", "v3"}) {
		t.Fatalf("after the first stream closed: %v, want the second stream's v2 and v3", got)
	}
	if st := tr.Snapshot(); len(st) != 1 || st[0].Streams != 1 {
		t.Fatalf("status %+v", st)
	}
}
