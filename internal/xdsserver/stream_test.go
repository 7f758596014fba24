package xdsserver

import (
	"bytes"
	"slices"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"

	"github.com/sailplane/sailplane/internal/xds"
)

func TestSotWAnswersChangesOnly(t *testing.T) {
	b := NewBuilder()
	v1 := mustSnapshot(t, b, resources("x", "y"))
	ts := newTestServer(t, Options{}, v1)
	st := ts.stream(t, testNode, false)

	st.ask(resource.ClusterType, "")
	r := st.nextSotW()
	if names := sotwResourceNames(t, r); r.VersionInfo != v1.Version(resource.ClusterType) || !slices.Equal(names, []string{"x", "y"}) {
		t.Fatalf("answer %s %v, want version %s with x and y", r.VersionInfo, names, v1.Version(resource.ClusterType))
	}
	// The ACK holds the current version: nothing is sent.
	st.ask(resource.ClusterType, r.VersionInfo)
	st.nothingPending()

	// A publish that changes only endpoints, then one that changes
	// clusters: the first answer is the cluster change.
	b.Next()
	ts.publish(mustSnapshot(t, b, withEndpoints(resources("x", "y"), 80, "x")), testNode)
	b.Next()
	v3 := mustSnapshot(t, b, resources("x", "z"))
	ts.publish(v3, testNode)
	r = st.nextSotW()
	if names := sotwResourceNames(t, r); r.TypeUrl != resource.ClusterType || r.VersionInfo != v3.Version(resource.ClusterType) || !slices.Equal(names, []string{"x", "z"}) {
		t.Fatalf("answer %s %s %v, want the clusters x and z at %s", r.TypeUrl, r.VersionInfo, names, v3.Version(resource.ClusterType))
	}
}

func TestSotWNackIsNotAnsweredWithTheRejectedVersionThenGetsTheNext(t *testing.T) {
	b := NewBuilder()
	v1 := mustSnapshot(t, b, resources("x"))
	ts := newTestServer(t, Options{}, v1)
	st := ts.stream(t, testNode, false)
	st.ask(resource.ClusterType, "")
	st.ask(resource.ClusterType, st.nextSotW().VersionInfo)

	b.Next()
	v2 := mustSnapshot(t, b, resources("x", "bad"))
	ts.publish(v2, testNode)
	if r := st.nextSotW(); r.VersionInfo != v2.Version(resource.ClusterType) {
		t.Fatalf("pushed %s, want %s", r.VersionInfo, v2.Version(resource.ClusterType))
	}
	// The proxy rejects v2: its NACK carries v1, the version it still has.
	st.send(&discoveryv3.DiscoveryRequest{TypeUrl: resource.ClusterType, VersionInfo: v1.Version(resource.ClusterType),
		ResponseNonce: st.nonces[resource.ClusterType], ErrorDetail: &statuspb.Status{Code: 3, Message: "cluster bad: invalid"}})
	st.nothingPending()
	if n := ts.s.Tracker().Snapshot()[0].Nacks[resource.ClusterType]; n.Version != v2.Version(resource.ClusterType) || n.Error != "cluster bad: invalid" {
		t.Errorf("recorded NACK %+v, want the rejected version %s", n, v2.Version(resource.ClusterType))
	}
	// The reconciler's view carries the same rejection, and only the
	// proxies it asks for.
	if nodes := ts.s.Tracker().Nodes(nil); len(nodes) != 1 || nodes[0].NodeID != testNode || nodes[0].Nacks[resource.ClusterType].Version != v2.Version(resource.ClusterType) {
		t.Errorf("Nodes(nil) = %+v, want %s with the NACK of %s", nodes, testNode, v2.Version(resource.ClusterType))
	}
	if nodes := ts.s.Tracker().Nodes(map[string]struct{}{"other": {}}); len(nodes) != 0 {
		t.Errorf("Nodes(other) = %+v, want none", nodes)
	}
	b.Next()
	v3 := mustSnapshot(t, b, resources("x", "fixed"))
	ts.publish(v3, testNode)
	if r := st.nextSotW(); r.TypeUrl != resource.ClusterType || r.VersionInfo != v3.Version(resource.ClusterType) {
		t.Errorf("sent %s %s, want the clusters at %s", r.TypeUrl, r.VersionInfo, v3.Version(resource.ClusterType))
	}
}

func TestSotWNamedAnswersNewNamesAndOnlyThose(t *testing.T) {
	snap := mustSnapshot(t, NewBuilder(), withEndpoints(resources(), 80, "a", "b", "c"))
	ts := newTestServer(t, Options{}, snap)
	st := ts.stream(t, testNode, false)
	version := snap.Version(resource.EndpointType)

	st.ask(resource.EndpointType, "", "a")
	if names := sotwResourceNames(t, st.nextSotW()); !slices.Equal(names, []string{"a"}) {
		t.Fatalf("sent %v, want only a", names)
	}
	// The proxy learns of b and c and names them with the version it has.
	st.ask(resource.EndpointType, version, "a", "b", "c", "missing")
	if names := sotwResourceNames(t, st.nextSotW()); !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Fatalf("sent %v, want a, b and c", names)
	}
	// Same names again (an ACK): nothing new, nothing sent.
	st.ask(resource.EndpointType, version, "a", "b", "c", "missing")
	st.nothingPending()
}

func TestSotWEndpointsSendOnlyWhatChanged(t *testing.T) {
	b := NewBuilder()
	v1 := mustSnapshot(t, b, withEndpoints(resources(), 80, "a", "b", "c"))
	ts := newTestServer(t, Options{}, v1)
	st := ts.stream(t, testNode, false)
	st.ask(resource.EndpointType, "", "a", "b", "c")
	if names := sotwResourceNames(t, st.nextSotW()); len(names) != 3 {
		t.Fatalf("first answer %v, want a, b and c", names)
	}
	st.ask(resource.EndpointType, v1.Version(resource.EndpointType), "a", "b", "c")
	st.nothingPending()

	b.Next()
	next := withEndpoints(resources(), 80, "a", "c")
	next = withEndpoints(next, 9090, "b")
	next.Endpoints[1], next.Endpoints[2] = next.Endpoints[2], next.Endpoints[1]
	v2 := mustSnapshot(t, b, next)
	ts.publish(v2, testNode)
	r := st.nextSotW()
	if names := sotwResourceNames(t, r); r.VersionInfo != v2.Version(resource.EndpointType) || !slices.Equal(names, []string{"b"}) {
		t.Fatalf("pushed %s %v, want only b at %s", r.VersionInfo, names, v2.Version(resource.EndpointType))
	}
}

// TestSotWNamedEmptySubscriptionIsNotAnswered: grpc-js-xds, dropping its
// last load assignment, asks for EDS with an empty list (not a wildcard
// once it has named something). Answering that with an empty response
// drew an ACK, answered again: an endless loop (found by test/grpcjs).
func TestSotWNamedEmptySubscriptionIsNotAnswered(t *testing.T) {
	snap := mustSnapshot(t, NewBuilder(), withEndpoints(resources(), 80, "a", "b"))
	ts := newTestServer(t, Options{}, snap)
	st := ts.stream(t, testNode, false)
	st.ask(resource.EndpointType, "", "a")
	st.nextSotW()
	st.ask(resource.EndpointType, snap.Version(resource.EndpointType))
	st.nothingPending()
}

// Two proxies given the same set receive the same bytes, but for their
// nonces: the body is encoded once and shared.
func TestStreamsWithOneSetGetOneEncoding(t *testing.T) {
	snap := mustSnapshot(t, NewBuilder(), withEndpoints(resources("x", "y"), 80, "a", "b"))
	ts := newTestServer(t, Options{}, snap)
	one, two := ts.stream(t, testNode, false), ts.stream(t, otherNode, false)
	for typeURL, names := range map[string][]string{resource.ClusterType: {"x", "y"}, resource.EndpointType: {"a", "b"}} {
		one.ask(typeURL, "", names...)
		two.ask(typeURL, "", names[1], names[0]) // the same names in another order
		r1, r2 := one.next(), two.next()
		m1, m2 := r1.msg.(*discoveryv3.DiscoveryResponse), r2.msg.(*discoveryv3.DiscoveryResponse)
		if m1.Nonce == "" || len(m1.Resources) != 2 {
			t.Fatalf("%s: response with nonce %q and %d resources", typeURL, m1.Nonce, len(m1.Resources))
		}
		if !bytes.Equal(withoutNonce(t, r1.raw, m1.Nonce), withoutNonce(t, r2.raw, m2.Nonce)) {
			t.Errorf("%s: the two streams' bodies differ", typeURL)
		}
	}
	p := ts.s.ports[plaintext].cache.enc
	if n := len(p.bodies.cur) + len(p.bodies.prev); n != 2 {
		t.Errorf("%d encodings cached, want 2 (one per type)", n)
	}
}

// deltaStart opens a Delta stream holding the barrier load assignment.
func deltaStart(t *testing.T, ts *testServer, node string) *testStream {
	t.Helper()
	st := ts.stream(t, node, true)
	st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNamesSubscribe: []string{barrierName}})
	if r := st.nextDelta(); !slices.Equal(deltaResourceNames(r), []string{barrierName}) {
		t.Fatalf("asked for %s, got %v", barrierName, deltaResourceNames(r))
	}
	return st
}

// deltaSnapshot is a snapshot's clusters and the barrier.
func deltaSnapshot(clusters ...string) *xds.Resources {
	return withEndpoints(resources(clusters...), 80, barrierName)
}

func TestDeltaMovingFromOneSetToAnotherGetsOnlyTheDifference(t *testing.T) {
	b := NewBuilder()
	ts := newTestServer(t, Options{}, mustSnapshot(t, b, deltaSnapshot("x", "y", "gone")))
	one, two := deltaStart(t, ts, testNode), deltaStart(t, ts, otherNode)
	for _, st := range []*testStream{one, two} {
		st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.ClusterType})
		if r := st.nextDelta(); len(r.Resources) != 3 {
			t.Fatalf("first answer %v, want every cluster", deltaResourceNames(r))
		}
		st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.ClusterType, ResponseNonce: st.nonces[resource.ClusterType]})
		st.nothingPending()
	}
	b.Next()
	// y changes, gone is removed, new appears; x is untouched.
	next := deltaSnapshot("x", "new")
	next.Clusters = append(next.Clusters, &clusterv3.Cluster{Name: "y", AltStatName: "changed"})
	ts.publish(mustSnapshot(t, b, next), testNode, otherNode)
	var bodies [][]byte
	for _, st := range []*testStream{one, two} {
		raw := st.next()
		r := raw.msg.(*discoveryv3.DeltaDiscoveryResponse)
		if changed := deltaResourceNames(r); !slices.Equal(changed, []string{"new", "y"}) || !slices.Equal(r.RemovedResources, []string{"gone"}) {
			t.Fatalf("changed %v removed %v, want [new y] and [gone]", changed, r.RemovedResources)
		}
		bodies = append(bodies, withoutNonce(t, raw.raw, r.Nonce))
	}
	if !bytes.Equal(bodies[0], bodies[1]) {
		t.Error("two streams making the same move must share one encoded body")
	}
}

func TestDeltaResendsWhatWasUnsubscribedAndAskedForAgain(t *testing.T) {
	b := NewBuilder()
	ts := newTestServer(t, Options{}, mustSnapshot(t, b, withEndpoints(deltaSnapshot(), 80, "a", "b")))
	st := deltaStart(t, ts, testNode)
	st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNamesSubscribe: []string{"a", "b"}})
	if r := st.nextDelta(); !slices.Equal(deltaResourceNames(r), []string{"a", "b"}) {
		t.Fatalf("first answer %v", deltaResourceNames(r))
	}
	st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNamesUnsubscribe: []string{"b"}})
	st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNamesSubscribe: []string{"b"}})
	if r := st.nextDelta(); !slices.Equal(deltaResourceNames(r), []string{"b"}) || len(r.RemovedResources) != 0 {
		t.Fatalf("asked for b again, got %v (removed %v): the proxy dropped it when it unsubscribed", deltaResourceNames(r), r.RemovedResources)
	}
	// An ACK, then a change of a only: a alone goes out.
	st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResponseNonce: st.nonces[resource.EndpointType]})
	st.nothingPending()
	b.Next()
	next := withEndpoints(resources(), 9090, "a")
	next = withEndpoints(next, 80, "b", barrierName)
	ts.publish(mustSnapshot(t, b, next), testNode)
	if r := st.nextDelta(); !slices.Equal(deltaResourceNames(r), []string{"a"}) || len(r.RemovedResources) != 0 {
		t.Fatalf("pushed %v, removed %v; want only a", deltaResourceNames(r), r.RemovedResources)
	}
}

// A proxy reconnecting announces what it has; it is sent what differs
// only, and nothing when it has everything.
func TestDeltaReconnectIsSentOnlyWhatItLacks(t *testing.T) {
	snap := mustSnapshot(t, NewBuilder(), deltaSnapshot("x", "y"))
	ts := newTestServer(t, Options{}, snap)
	set := snap.sets[typeCluster]
	have := map[string]string{}
	for _, it := range set.flat() {
		have[it.name] = it.version
	}
	st := deltaStart(t, ts, testNode)
	st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.ClusterType, InitialResourceVersions: have})
	st.nothingPending()

	stale := map[string]string{"x": have["x"], "y": "old", "gone": "v"}
	other := deltaStart(t, ts, otherNode)
	other.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.ClusterType, InitialResourceVersions: stale})
	r := other.nextDelta()
	if !slices.Equal(deltaResourceNames(r), []string{"y"}) || !slices.Equal(r.RemovedResources, []string{"gone"}) {
		t.Fatalf("sent %v removed %v, want y and the removal of gone", deltaResourceNames(r), r.RemovedResources)
	}
	// After that answer it holds the set: an ACK is not answered.
	other.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.ClusterType, ResponseNonce: other.nonces[resource.ClusterType]})
	other.nothingPending()
}

func TestDeltaNackThenNewVersion(t *testing.T) {
	b := NewBuilder()
	ts := newTestServer(t, Options{}, mustSnapshot(t, b, deltaSnapshot("x")))
	st := deltaStart(t, ts, testNode)
	st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.ClusterType})
	st.nextDelta()
	st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.ClusterType, ResponseNonce: st.nonces[resource.ClusterType],
		ErrorDetail: &statuspb.Status{Code: 3, Message: "cluster x: invalid"}})
	st.nothingPending()
	if n := ts.s.Tracker().Snapshot()[0].Nacks[resource.ClusterType]; n.Error != "cluster x: invalid" {
		t.Errorf("recorded NACK %+v", n)
	}
	b.Next()
	ts.publish(mustSnapshot(t, b, deltaSnapshot("x", "z")), testNode)
	if r := st.nextDelta(); r.TypeUrl != resource.ClusterType || !slices.Equal(deltaResourceNames(r), []string{"z"}) {
		t.Fatalf("after the NACK the next version sent %s %v, want the cluster z", r.TypeUrl, deltaResourceNames(r))
	}
}

func TestRetainForgetsIdleNodesOnly(t *testing.T) {
	c := newGroupCache(newTracker(nil), nil)
	snap := mustSnapshot(t, NewBuilder(), resources("x"))
	c.SetSnapshot(testNode, snap)
	c.SetSnapshot(otherNode, snap)
	w := &streamBase{kick: make(chan struct{}, 1)}
	c.attach(otherNode, w)
	c.Retain(func(string) bool { return false })
	if _, ok := c.GetSnapshot(testNode); ok {
		t.Error("a node with no stream outside the publish must be forgotten")
	}
	if _, ok := c.GetSnapshot(otherNode); !ok {
		t.Error("a node with an open stream must be kept")
	}
}
