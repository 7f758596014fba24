package xdsserver

import (
	"context"
	"net"
	"sort"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/push"
	"github.com/sailplane/sailplane/internal/xds"
)

// adsClient is one proxy's ADS stream on the plaintext port, asking for
// clusters.
type adsClient struct {
	t      *testing.T
	node   *corev3.Node
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	last   *discoveryv3.DiscoveryResponse
}

func connect(ctx context.Context, t *testing.T, s *Server, conn *grpc.ClientConn, id string, grpcClient bool, names ...string) *adsClient {
	t.Helper()
	node := &corev3.Node{Id: id}
	if grpcClient {
		node.Metadata = &structpb.Struct{Fields: map[string]*structpb.Value{"GENERATOR": structpb.NewStringValue(generatorGRPC)}}
	}
	st, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &adsClient{t: t, node: node, stream: st}
	c.ask(names...)
	deadline := time.Now().Add(10 * time.Second)
	for !s.Tracker().Connected(id) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never connected", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c
}

// ask requests clusters by name (none: every one), acknowledging the last
// response.
func (c *adsClient) ask(names ...string) {
	c.t.Helper()
	req := &discoveryv3.DiscoveryRequest{Node: c.node, TypeUrl: resource.ClusterType, ResourceNames: names}
	if c.last != nil {
		req.VersionInfo, req.ResponseNonce = c.last.VersionInfo, c.last.Nonce
	}
	if err := c.stream.Send(req); err != nil {
		c.t.Fatal(err)
	}
}

// clusters waits for the next response and returns its cluster names.
func (c *adsClient) clusters() []string {
	c.t.Helper()
	got := make(chan *discoveryv3.DiscoveryResponse, 1)
	go func() {
		r, err := c.stream.Recv()
		if err != nil {
			close(got)
			return
		}
		got <- r
	}()
	select {
	case r, ok := <-got:
		if !ok {
			c.t.Fatalf("%s: stream ended", c.node.Id)
		}
		c.last = r
		var out []string
		for _, a := range r.Resources {
			var cl clusterv3.Cluster
			if err := a.UnmarshalTo(&cl); err != nil {
				c.t.Fatal(err)
			}
			out = append(out, cl.Name)
		}
		sort.Strings(out)
		return out
	case <-time.After(10 * time.Second):
		c.t.Fatalf("%s: no response", c.node.Id)
	}
	return nil
}

func clusterSet(names ...string) *xds.Resources {
	r := &xds.Resources{}
	for _, n := range names {
		r.Clusters = append(r.Clusters, &clusterv3.Cluster{Name: n})
	}
	return r
}

func node(pod string) string { return "sidecar~10.0.0.1~" + pod + ".ns~ns.svc.cluster.local" }

// TestPublisherJoinsWithoutTouchingOthers runs real ADS streams: a full
// publish serves every node, proxies of a group sharing one snapshot; a
// join serves the joined proxy the group's very snapshot and leaves every
// other node's snapshot alone, even where the resources handed in differ;
// the next full publish serves those.
func TestPublisherJoinsWithoutTouchingOthers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := New(ctx, logr.Discard(), DefaultOptions())
	p := NewPublisher(s, nil, logr.Discard())
	conn := serve(ctx, t, s)
	a, b := connect(ctx, t, s, conn, node("a"), false), connect(ctx, t, s, conn, node("b"), false)

	g1, g2 := clusterSet("x", "y"), clusterSet("z")
	if err := p.Publish(push.FullChange(push.Start), map[string]*xds.Resources{node("a"): g1, node("b"): g1}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := a.clusters(); len(got) != 2 || got[0] != "x" {
		t.Fatalf("a was served %v, want x and y", got)
	}
	b.clusters()
	snapA, _ := s.Snapshot(node("a"))
	if snapB, _ := s.Snapshot(node("b")); snapA != snapB {
		t.Fatal("proxies of one group must share one snapshot")
	}

	c := connect(ctx, t, s, conn, node("c"), false)
	joined := map[string]*xds.Resources{node("a"): g2, node("b"): g1, node("c"): g1}
	if err := p.Publish(push.Joined(node("c")), joined, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := c.clusters(); len(got) != 2 {
		t.Fatalf("the joined proxy was served %v, want x and y", got)
	}
	if snapC, _ := s.Snapshot(node("c")); snapC != snapA {
		t.Fatal("a proxy joining a group must get the group's very snapshot")
	}
	if now, _ := s.Snapshot(node("a")); now != snapA {
		t.Fatal("a join must leave the other nodes' snapshots alone")
	}

	a.ask()
	if err := p.Publish(push.Config(push.Key{Kind: "VirtualService", Namespace: "ns", Name: "r"}), joined, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := a.clusters(); len(got) != 1 || got[0] != "z" {
		t.Fatalf("after a full publish a was served %v, want z", got)
	}
}

// TestPublisherRepublishesAProxylessSubscription: a proxyless client is
// served only what it names; naming more is answered from the last
// publish, without another.
func TestPublisherRepublishesAProxylessSubscription(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := New(ctx, logr.Discard(), DefaultOptions())
	p := NewPublisher(s, nil, logr.Discard())
	s.OnSubscribe(p.Republish)
	conn := serve(ctx, t, s)
	d := connect(ctx, t, s, conn, node("d"), true, "x")
	if err := p.Publish(push.FullChange(push.Start), map[string]*xds.Resources{node("d"): clusterSet("x", "y", "z")}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := d.clusters(); len(got) != 1 || got[0] != "x" {
		t.Fatalf("served %v, want x only", got)
	}
	d.ask("x", "y")
	if got := d.clusters(); len(got) != 2 || got[1] != "y" {
		t.Fatalf("after naming y too: %v, want x and y", got)
	}
}

func serve(ctx context.Context, t *testing.T, s *Server) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
