package xdsserver

import (
	"context"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"

	"github.com/sailplane/sailplane/internal/identity"
)

// go-control-plane numbers state-of-the-world and Delta streams apart, so
// stream 1 of each can be open at once on one port, for two different
// callers. Each must keep the identity it proved: the scale benchmark's
// mixed fleet had proxies refused for another caller's node id before.
func TestSotWAndDeltaStreamsOfOneIDKeepTheirIdentities(t *testing.T) {
	s := New(context.Background(), logr.Discard(), Options{})
	c := &callbacks{s: s, channel: authenticated}
	a := identity.Identity{TrustDomain: "cluster.local", Namespace: "ns-a", ServiceAccount: "sa-a", PodName: "pod-a"}
	b := identity.Identity{TrustDomain: "cluster.local", Namespace: "ns-b", ServiceAccount: "sa-b", PodName: "pod-b"}
	nodeA := &corev3.Node{Id: "sidecar~10.0.0.1~pod-a.ns-a~ns-a.svc.cluster.local"}
	nodeB := &corev3.Node{Id: "sidecar~10.0.0.2~pod-b.ns-b~ns-b.svc.cluster.local"}

	if err := c.OnStreamOpen(identity.NewContext(context.Background(), a), 1, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.OnDeltaStreamOpen(identity.NewContext(context.Background(), b), 1, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.OnStreamRequest(1, &discoveryv3.DiscoveryRequest{Node: nodeA, TypeUrl: resource.ClusterType}); err != nil {
		t.Errorf("SotW stream 1 of %s refused its own node: %v", a, err)
	}
	if err := c.OnStreamDeltaRequest(1, &discoveryv3.DeltaDiscoveryRequest{Node: nodeB, TypeUrl: resource.ClusterType}); err != nil {
		t.Errorf("Delta stream 1 of %s refused its own node: %v", b, err)
	}
	if err := c.OnStreamRequest(1, &discoveryv3.DiscoveryRequest{Node: nodeB, TypeUrl: resource.ClusterType}); err == nil {
		t.Errorf("SotW stream 1 of %s was given %s's node", a, b)
	}
	c.OnDeltaStreamClosed(1, nil)
	if who, ok := s.tracker.streamIdentity(c.key(1)); !ok || who != a {
		t.Errorf("after Delta stream 1 closed, SotW stream 1 is %v (%v), want %s", who, ok, a)
	}
}
