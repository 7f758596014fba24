package xdsserver

import (
	"context"
	"net"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	loadstatsv3 "github.com/envoyproxy/go-control-plane/envoy/service/load_stats/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// TestLoadReportsComeOnlyFromServedNodes runs the plaintext port on
// loopback: a load report stream for a node with no ADS stream is
// refused; once the node has one, the server asks for every cluster at its
// interval and hands the reports to the sink with the node.
func TestLoadReportsComeOnlyFromServedNodes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := DefaultOptions()
	opts.LoadReportInterval = 3 * time.Second
	s := New(ctx, logr.Discard(), opts)
	got := make(chan Reporter, 1)
	s.OnLoadReport(func(r Reporter, stats []*endpointv3.ClusterStats) {
		if len(stats) == 1 && stats[0].GetClusterName() == "outbound|9080||reviews.ns.svc.cluster.local" {
			got <- r
		}
	})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ctx, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	node := &corev3.Node{Id: "sidecar~10.0.0.1~client.ns~ns.svc.cluster.local"}
	lrs := loadstatsv3.NewLoadReportingServiceClient(conn)

	early, err := lrs.StreamLoadStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = early.Send(&loadstatsv3.LoadStatsRequest{Node: node})
	if _, err := early.Recv(); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("a report from a node with no ADS stream: %v, want FailedPrecondition", err)
	}

	ads, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ads.Send(&discoveryv3.DiscoveryRequest{Node: node, TypeUrl: resource.ClusterType}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.Tracker().Generator(node.Id) == "" && len(s.Tracker().Snapshot()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}

	st, err := lrs.StreamLoadStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&loadstatsv3.LoadStatsRequest{Node: node}); err != nil {
		t.Fatal(err)
	}
	resp, err := st.Recv()
	if err != nil {
		t.Fatalf("a served node's report stream: %v", err)
	}
	if !resp.GetSendAllClusters() || resp.GetLoadReportingInterval().AsDuration() != 3*time.Second {
		t.Errorf("response %v, want every cluster every 3s", resp)
	}
	if err := st.Send(&loadstatsv3.LoadStatsRequest{ClusterStats: []*endpointv3.ClusterStats{{
		ClusterName:           "outbound|9080||reviews.ns.svc.cluster.local",
		UpstreamLocalityStats: []*endpointv3.UpstreamLocalityStats{{TotalSuccessfulRequests: 3}},
	}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if r.Node.GetId() != node.Id || r.Identity != nil {
			t.Errorf("reporter %+v: want the stream's node, with no identity on the plaintext port", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the report never reached the sink")
	}
}

// TestConvergenceIsTimedOncePerSnapshot follows one proxy through a
// stamped snapshot: each type's first write is timed, the proxy converges
// when every type it subscribes to has the snapshot's version, once.
func TestConvergenceIsTimedOncePerSnapshot(t *testing.T) {
	tr := newTracker(nil)
	node := &corev3.Node{Id: "sidecar~10.0.0.1~a.ns~ns.svc.cluster.local"}
	tr.request(1, node, resource.ClusterType, "", false, nil)
	tr.request(1, node, resource.ListenerType, "", false, nil)
	snap, err := NewBuilder().Snapshot(resources("x"))
	if err != nil {
		t.Fatal(err)
	}
	snap.Stamp(time.Now().Add(time.Second), time.Now().Add(time.Second))
	tr.sent(1, resource.ClusterType, snap.Version(resource.ClusterType))
	if first, conv := tr.progress(node.Id, snap, resource.ClusterType); !first || conv {
		t.Fatalf("after clusters: first %v converged %v, want true false (listeners not sent)", first, conv)
	}
	if first, _ := tr.progress(node.Id, snap, resource.ClusterType); first {
		t.Error("a second write of the same type of the same snapshot was timed again")
	}
	tr.sent(1, resource.ListenerType, snap.Version(resource.ListenerType))
	if _, conv := tr.progress(node.Id, snap, resource.ListenerType); !conv {
		t.Error("every subscribed type sent: the proxy should have converged")
	}
	if _, conv := tr.progress(node.Id, snap, resource.ListenerType); conv {
		t.Error("convergence on one snapshot was counted twice")
	}
	old, _ := NewBuilder().Snapshot(resources("y"))
	old.Stamp(time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	if first, conv := tr.progress(node.Id, old, resource.ClusterType); first || conv {
		t.Error("a snapshot whose change predates the proxy's connection was timed")
	}
}
