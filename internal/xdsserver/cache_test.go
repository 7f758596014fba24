package xdsserver

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"

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

func mustSnapshot(t *testing.T, b *Builder, r *xds.Resources) *Snapshot {
	t.Helper()
	s, err := b.Snapshot(r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sotwRequest(typeURL, version string, names ...string) *cachev3.Request {
	return &cachev3.Request{Node: &corev3.Node{Id: testNode}, TypeUrl: typeURL, VersionInfo: version, ResourceNames: names}
}

// received returns the response waiting on ch, or nil.
func received[T any](ch chan T) (T, bool) {
	select {
	case r := <-ch:
		return r, true
	default:
		var zero T
		return zero, false
	}
}

func sotwNames(t *testing.T, r cachev3.Response) (string, []string) {
	t.Helper()
	msg, err := r.GetDiscoveryResponse()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range msg.Resources {
		switch msg.TypeUrl {
		case resource.ClusterType:
			var c clusterv3.Cluster
			if err := a.UnmarshalTo(&c); err != nil {
				t.Fatal(err)
			}
			names = append(names, c.Name)
		case resource.EndpointType:
			var c endpointv3.ClusterLoadAssignment
			if err := a.UnmarshalTo(&c); err != nil {
				t.Fatal(err)
			}
			names = append(names, c.ClusterName)
		}
	}
	return msg.VersionInfo, names
}

func TestBuilderSharesItemsAndSets(t *testing.T) {
	b := NewBuilder()
	// Two groups translated separately: equal content, different protos.
	one := mustSnapshot(t, b, resources("x", "y"))
	two := mustSnapshot(t, b, resources("x", "y"))
	if one.sets[typeCluster] != two.sets[typeCluster] {
		t.Error("groups with the same clusters must share one set")
	}
	if one.sets[typeCluster].items[0].any != two.sets[typeCluster].items[0].any {
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
	if four.sets[typeCluster].items[0] != one.sets[typeCluster].items[0] {
		t.Error("the unchanged cluster x must keep its item across publishes")
	}
}

func TestSotWAnswersChangesOnly(t *testing.T) {
	c := newGroupCache(newTracker(nil))
	b := NewBuilder()
	v1 := mustSnapshot(t, b, resources("x", "y"))
	c.SetSnapshot(testNode, v1)

	out := make(chan cachev3.Response, 1)
	sub := stream.NewSotwSubscription(nil, true)
	if _, err := c.CreateWatch(sotwRequest(resource.ClusterType, ""), &sub, out); err != nil {
		t.Fatal(err)
	}
	r, ok := received(out)
	if !ok {
		t.Fatal("a first wildcard request must be answered at once")
	}
	version, names := sotwNames(t, r)
	if version != v1.Version(resource.ClusterType) || len(names) != 2 {
		t.Fatalf("answer %s %v, want version %s with x and y", version, names, v1.Version(resource.ClusterType))
	}

	// The ACK holds the current version: the watch stays open.
	if _, err := c.CreateWatch(sotwRequest(resource.ClusterType, version), &sub, out); err != nil {
		t.Fatal(err)
	}
	if _, ok := received(out); ok {
		t.Fatal("a proxy holding the current version must not be sent it again")
	}
	// A publish that changes only endpoints leaves the cluster watch alone.
	b.Next()
	c.SetSnapshot(testNode, mustSnapshot(t, b, withEndpoints(resources("x", "y"), 80, "x")))
	if _, ok := received(out); ok {
		t.Fatal("a change to another type must not answer the cluster watch")
	}
	b.Next()
	v3 := mustSnapshot(t, b, resources("x", "z"))
	c.SetSnapshot(testNode, v3)
	r, ok = received(out)
	if !ok {
		t.Fatal("a cluster change must answer the open watch")
	}
	if version, names = sotwNames(t, r); version != v3.Version(resource.ClusterType) || names[1] != "z" {
		t.Fatalf("answer %s %v", version, names)
	}
}

func TestSotWNackIsNotAnsweredWithTheRejectedVersion(t *testing.T) {
	tr := newTracker(nil)
	c := newGroupCache(tr)
	b := NewBuilder()
	v1 := mustSnapshot(t, b, resources("x"))
	b.Next()
	v2 := mustSnapshot(t, b, resources("x", "bad"))
	c.SetSnapshot(testNode, v2)
	// The proxy accepted v1 earlier and was then sent v2 on stream 1.
	tr.request(1, &corev3.Node{Id: testNode}, resource.ClusterType, v1.Version(resource.ClusterType), false, nil)
	tr.sent(1, resource.ClusterType, v2.Version(resource.ClusterType))

	out := make(chan cachev3.Response, 1)
	sub := stream.NewSotwSubscription(nil, true)
	nack := sotwRequest(resource.ClusterType, v1.Version(resource.ClusterType))
	nack.ErrorDetail = &statuspb.Status{Code: 3, Message: "cluster bad: invalid"}
	if _, err := c.CreateWatch(nack, &sub, out); err != nil {
		t.Fatal(err)
	}
	if _, ok := received(out); ok {
		t.Fatal("a NACK must not be answered with the version just rejected")
	}
	if n := tr.Snapshot()[0].Nacks[resource.ClusterType]; n.Version != v2.Version(resource.ClusterType) || n.Error != "cluster bad: invalid" {
		t.Errorf("recorded NACK %+v, want the rejected version %s", n, v2.Version(resource.ClusterType))
	}
	b.Next()
	v3 := mustSnapshot(t, b, resources("x", "fixed"))
	c.SetSnapshot(testNode, v3)
	r, ok := received(out)
	if !ok {
		t.Fatal("the next version must go out after a NACK")
	}
	if version, _ := sotwNames(t, r); version != v3.Version(resource.ClusterType) {
		t.Errorf("sent %s, want %s", version, v3.Version(resource.ClusterType))
	}
}

func TestSotWNamedAnswersNewNamesAndOnlyThose(t *testing.T) {
	c := newGroupCache(newTracker(nil))
	snap := mustSnapshot(t, NewBuilder(), withEndpoints(&xds.Resources{}, 80, "a", "b", "c"))
	c.SetSnapshot(testNode, snap)
	version := snap.Version(resource.EndpointType)

	out := make(chan cachev3.Response, 1)
	sub := stream.NewSotwSubscription([]string{"a"}, true)
	if _, err := c.CreateWatch(sotwRequest(resource.EndpointType, "", "a"), &sub, out); err != nil {
		t.Fatal(err)
	}
	r, ok := received(out)
	if !ok {
		t.Fatal("a named request must be answered")
	}
	if _, names := sotwNames(t, r); len(names) != 1 || names[0] != "a" {
		t.Fatalf("sent %v, want only a", names)
	}
	sub.SetReturnedResources(r.GetReturnedResources())

	// The proxy learns of b and c and names them with the version it has.
	sub.SetResourceSubscription([]string{"a", "b", "c", "missing"})
	if _, err := c.CreateWatch(sotwRequest(resource.EndpointType, version, "a", "b", "c", "missing"), &sub, out); err != nil {
		t.Fatal(err)
	}
	r, ok = received(out)
	if !ok {
		t.Fatal("names the proxy just asked for must be answered even at the same version")
	}
	if _, names := sotwNames(t, r); len(names) != 3 {
		t.Fatalf("sent %v, want a, b and c", names)
	}
	sub.SetReturnedResources(r.GetReturnedResources())
	// Same names again (an ACK): nothing new, nothing sent.
	sub.SetResourceSubscription([]string{"a", "b", "c", "missing"})
	if _, err := c.CreateWatch(sotwRequest(resource.EndpointType, version, "a", "b", "c", "missing"), &sub, out); err != nil {
		t.Fatal(err)
	}
	if _, ok := received(out); ok {
		t.Fatal("an ACK naming nothing new must not be answered")
	}
}

func deltaNames(t *testing.T, r cachev3.DeltaResponse) (changed, removed []string) {
	t.Helper()
	msg, err := r.GetDeltaDiscoveryResponse()
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range msg.Resources {
		changed = append(changed, res.Name)
	}
	return changed, msg.RemovedResources
}

func TestDeltaSendsOnlyWhatChanged(t *testing.T) {
	c := newGroupCache(newTracker(nil))
	b := NewBuilder()
	c.SetSnapshot(testNode, mustSnapshot(t, b, resources("x", "y", "gone")))

	req := &discoveryv3.DeltaDiscoveryRequest{Node: &corev3.Node{Id: testNode}, TypeUrl: resource.ClusterType}
	sub := stream.NewDeltaSubscription(nil, nil, nil, true)
	out := make(chan cachev3.DeltaResponse, 1)
	if _, err := c.CreateDeltaWatch(req, &sub, out); err != nil {
		t.Fatal(err)
	}
	r, ok := received(out)
	if !ok {
		t.Fatal("a first wildcard Delta request must be answered at once")
	}
	if changed, _ := deltaNames(t, r); len(changed) != 3 {
		t.Fatalf("first answer %v, want every cluster", changed)
	}
	sub.SetReturnedResources(r.GetReturnedResources())

	cancel, err := c.CreateDeltaWatch(req, &sub, out)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := received(out); ok {
		t.Fatal("a proxy that has everything must not be sent anything")
	}
	b.Next()
	// y changes, gone is removed, new appears; x is untouched.
	next := resources("x", "new")
	next.Clusters = append(next.Clusters, &clusterv3.Cluster{Name: "y", AltStatName: "changed"})
	c.SetSnapshot(testNode, mustSnapshot(t, b, next))
	r, ok = received(out)
	if !ok {
		t.Fatal("a change must answer the open Delta watch")
	}
	changed, removed := deltaNames(t, r)
	if len(changed) != 2 || changed[0] != "new" || changed[1] != "y" || len(removed) != 1 || removed[0] != "gone" {
		t.Fatalf("changed %v removed %v, want [new y] and [gone]", changed, removed)
	}
	cancel()
	cancel() // the server may cancel more than once
}

func TestRetainForgetsIdleNodesOnly(t *testing.T) {
	c := newGroupCache(newTracker(nil))
	snap := mustSnapshot(t, NewBuilder(), resources("x"))
	const watched = "sidecar~10.0.0.2~b.ns~ns.svc.cluster.local"
	c.SetSnapshot(testNode, snap)
	c.SetSnapshot(watched, snap)
	out := make(chan cachev3.Response, 1)
	sub := stream.NewSotwSubscription(nil, true)
	req := &cachev3.Request{Node: &corev3.Node{Id: watched}, TypeUrl: resource.ClusterType, VersionInfo: snap.Version(resource.ClusterType)}
	if _, err := c.CreateWatch(req, &sub, out); err != nil {
		t.Fatal(err)
	}
	c.Retain(func(string) bool { return false })
	if _, ok := c.GetSnapshot(testNode); ok {
		t.Error("a node with no stream outside the publish must be forgotten")
	}
	if _, ok := c.GetSnapshot(watched); !ok {
		t.Error("a node with an open watch must be kept")
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
	if len(part.sets[typeCluster].items) != 1 || part.Version(resource.ClusterType) == whole.Version(resource.ClusterType) {
		t.Error("a prefix of a list is another list")
	}
	b.Next()
	if mustSnapshot(t, b, &xds.Resources{Clusters: r.Clusters}).sets[typeCluster] != whole.sets[typeCluster] {
		t.Error("a list kept from the last publish must give the same set")
	}
}

func TestSotWEndpointsSendOnlyWhatChanged(t *testing.T) {
	c := newGroupCache(newTracker(nil))
	b := NewBuilder()
	v1 := mustSnapshot(t, b, withEndpoints(&xds.Resources{}, 80, "a", "b", "c"))
	c.SetSnapshot(testNode, v1)
	out := make(chan cachev3.Response, 1)
	sub := stream.NewSotwSubscription([]string{"a", "b", "c"}, true)
	if _, err := c.CreateWatch(sotwRequest(resource.EndpointType, "", "a", "b", "c"), &sub, out); err != nil {
		t.Fatal(err)
	}
	r, _ := received(out)
	if _, names := sotwNames(t, r); len(names) != 3 {
		t.Fatalf("first answer %v, want a, b and c", names)
	}
	sub.SetReturnedResources(r.GetReturnedResources())
	sub.SetResourceSubscription([]string{"a", "b", "c"})
	if _, err := c.CreateWatch(sotwRequest(resource.EndpointType, v1.Version(resource.EndpointType), "a", "b", "c"), &sub, out); err != nil {
		t.Fatal(err)
	}
	if _, ok := received(out); ok {
		t.Fatal("an ACK must not be answered")
	}
	b.Next()
	next := withEndpoints(&xds.Resources{}, 80, "a", "c")
	next = withEndpoints(next, 9090, "b")
	next.Endpoints[1], next.Endpoints[2] = next.Endpoints[2], next.Endpoints[1]
	v2 := mustSnapshot(t, b, next)
	c.SetSnapshot(testNode, v2)
	r, ok := received(out)
	if !ok {
		t.Fatal("a changed load assignment must be pushed")
	}
	if version, names := sotwNames(t, r); version != v2.Version(resource.EndpointType) || len(names) != 1 || names[0] != "b" {
		t.Fatalf("pushed %s %v, want only b at %s", version, names, v2.Version(resource.EndpointType))
	}
}

func TestDeltaResendsWhatWasUnsubscribedAndAskedForAgain(t *testing.T) {
	c := newGroupCache(newTracker(nil))
	b := NewBuilder()
	c.SetSnapshot(testNode, mustSnapshot(t, b, withEndpoints(&xds.Resources{}, 80, "a", "b")))
	node := &corev3.Node{Id: testNode}
	sub := stream.NewDeltaSubscription([]string{"a", "b"}, nil, nil, false)
	out := make(chan cachev3.DeltaResponse, 1)
	cancel := func() {}
	// As the server does: a new request cancels the type's open watch.
	watch := func(req *discoveryv3.DeltaDiscoveryRequest) (changed, removed []string) {
		t.Helper()
		cancel()
		req.Node, req.TypeUrl = node, resource.EndpointType
		var err error
		if cancel, err = c.CreateDeltaWatch(req, &sub, out); err != nil {
			t.Fatal(err)
		}
		r, ok := received(out)
		if !ok {
			return nil, nil
		}
		sub.SetReturnedResources(r.GetReturnedResources())
		return deltaNames(t, r)
	}
	if changed, _ := watch(&discoveryv3.DeltaDiscoveryRequest{ResourceNamesSubscribe: []string{"a", "b"}}); len(changed) != 2 {
		t.Fatalf("first answer %v", changed)
	}
	sub.UpdateResourceSubscriptions(nil, []string{"b"})
	if changed, removed := watch(&discoveryv3.DeltaDiscoveryRequest{ResourceNamesUnsubscribe: []string{"b"}}); changed != nil || removed != nil {
		t.Fatalf("unsubscribing must not be answered; got %v %v", changed, removed)
	}
	sub.UpdateResourceSubscriptions([]string{"b"}, nil)
	changed, _ := watch(&discoveryv3.DeltaDiscoveryRequest{ResourceNamesSubscribe: []string{"b"}})
	if len(changed) != 1 || changed[0] != "b" {
		t.Fatalf("asked for b again, got %v: the proxy dropped it when it unsubscribed", changed)
	}
	if _, ok := sub.ReturnedResources()[heldKey]; !ok {
		t.Error("the response must leave its record in the stream's map")
	}

	// An ACK, then a change of a only: a alone goes out.
	if changed, _ := watch(&discoveryv3.DeltaDiscoveryRequest{ResponseNonce: "3"}); changed != nil {
		t.Fatalf("an ACK must not be answered; got %v", changed)
	}
	b.Next()
	next := withEndpoints(&xds.Resources{}, 9090, "a")
	next = withEndpoints(next, 80, "b")
	c.SetSnapshot(testNode, mustSnapshot(t, b, next))
	r, ok := received(out)
	if !ok {
		t.Fatal("a change must answer the open watch")
	}
	if changed, removed := deltaNames(t, r); len(changed) != 1 || changed[0] != "a" || len(removed) != 0 {
		t.Fatalf("pushed %v, removed %v; want only a", changed, removed)
	}
	for name := range r.GetReturnedResources() {
		if name != "a" && name != "b" && name != heldKey {
			t.Errorf("unexpected entry %q in the version map", name)
		}
	}
}

// TestSotWNamedEmptySubscriptionIsNotAnswered: grpc-js-xds, dropping its
// last load assignment, asks for EDS with an empty list (not a wildcard
// once it has named something). Answering that with an empty response
// left no record, so each ACK drew another response: an endless
// request/response loop on the stream (found by test/grpcjs).
func TestSotWNamedEmptySubscriptionIsNotAnswered(t *testing.T) {
	c := newGroupCache(newTracker(nil))
	snap := mustSnapshot(t, NewBuilder(), withEndpoints(&xds.Resources{}, 80, "a", "b"))
	c.SetSnapshot(testNode, snap)
	version := snap.Version(resource.EndpointType)
	out := make(chan cachev3.Response, 1)
	sub := stream.NewSotwSubscription([]string{"a"}, true)
	if _, err := c.CreateWatch(sotwRequest(resource.EndpointType, "", "a"), &sub, out); err != nil {
		t.Fatal(err)
	}
	r, ok := received(out)
	if !ok {
		t.Fatal("a named request must be answered")
	}
	sub.SetReturnedResources(r.GetReturnedResources())
	sub.SetResourceSubscription(nil)
	if sub.IsWildcard() {
		t.Fatal("test premise: an empty list after names is not a wildcard")
	}
	if _, err := c.CreateWatch(sotwRequest(resource.EndpointType, version), &sub, out); err != nil {
		t.Fatal(err)
	}
	if r, ok := received(out); ok {
		_, names := sotwNames(t, r)
		t.Fatalf("a request naming nothing was answered with %v", names)
	}
}
