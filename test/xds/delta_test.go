package xds

import (
	"context"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sailplane/sailplane/internal/xds"
)

// deltaClient is a raw incremental ADS stream.
type deltaClient struct {
	stream discoveryv3.AggregatedDiscoveryService_DeltaAggregatedResourcesClient
	node   *corev3.Node
	resp   chan *discoveryv3.DeltaDiscoveryResponse
}

func dialDelta(t *testing.T, addr, nodeID string) *deltaClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); conn.Close() })
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &deltaClient{stream: stream, node: &corev3.Node{Id: nodeID}, resp: make(chan *discoveryv3.DeltaDiscoveryResponse, 64)}
	go func() {
		for {
			r, err := stream.Recv()
			if err != nil {
				close(c.resp)
				return
			}
			c.resp <- r
		}
	}()
	return c
}

// subscribe asks for typeURL (names nil = wildcard), ACKs the response and
// returns its resources.
func (c *deltaClient) subscribe(t *testing.T, typeURL string, names []string) []*anypb.Any {
	t.Helper()
	if err := c.stream.Send(&discoveryv3.DeltaDiscoveryRequest{Node: c.node, TypeUrl: typeURL, ResourceNamesSubscribe: names}); err != nil {
		t.Fatal(err)
	}
	select {
	case r, ok := <-c.resp:
		if !ok {
			t.Fatal("stream closed")
		}
		if r.TypeUrl != typeURL {
			t.Fatalf("got %s, want %s", r.TypeUrl, typeURL)
		}
		if err := c.stream.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL, ResponseNonce: r.Nonce}); err != nil {
			t.Fatal(err)
		}
		var out []*anypb.Any
		for _, res := range r.Resources {
			out = append(out, res.Resource)
		}
		return out
	case <-time.After(20 * time.Second):
		t.Fatalf("no Delta %s response", typeURL)
	}
	return nil
}

func TestDeltaDeliversConsistentConfig(t *testing.T) {
	createMesh(t, "delta")
	r := startReplica(t, false)
	c := dialDelta(t, r.xds, productpageNode("delta"))
	res := &xds.Resources{Clusters: decode[*clusterv3.Cluster](t, c.subscribe(t, resource.ClusterType, nil))}
	res.Endpoints = decode[*endpointv3.ClusterLoadAssignment](t, c.subscribe(t, resource.EndpointType, edsNames(res.Clusters)))
	res.Listeners = decode[*listenerv3.Listener](t, c.subscribe(t, resource.ListenerType, nil))
	res.Routes = decode[*routev3.RouteConfiguration](t, c.subscribe(t, resource.RouteType, rdsNames(t, res.Listeners)))
	if len(res.Clusters) == 0 || len(res.Listeners) == 0 || len(res.Routes) == 0 || len(res.Endpoints) == 0 {
		t.Fatalf("incomplete config: %d clusters, %d listeners, %d routes, %d endpoints", len(res.Clusters), len(res.Listeners), len(res.Routes), len(res.Endpoints))
	}
	for _, err := range xds.CheckConsistency(res) {
		t.Error(err)
	}

	// An endpoint change arrives as a Delta update for that one resource.
	if err := k8s.Update(context.Background(), withResourceVersion(t, reviewsSlice("delta", "reviews-v1"))); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-c.resp:
		if u.TypeUrl != resource.EndpointType {
			t.Fatalf("endpoint change produced a %s update", u.TypeUrl)
		}
		found := false
		for _, r := range u.Resources {
			if r.Name == "outbound|9080||reviews.delta.svc.cluster.local" {
				found = true
			}
		}
		if !found {
			t.Errorf("the update does not carry reviews' endpoints: %v", u.Resources)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no Delta update after the endpoint change")
	}
}

func withResourceVersion(t *testing.T, es *endpointSlice) *endpointSlice {
	t.Helper()
	cur := &endpointSlice{}
	if err := k8s.Get(context.Background(), clientKey(es.Namespace, es.Name), cur); err != nil {
		t.Fatal(err)
	}
	es.ResourceVersion = cur.ResourceVersion
	return es
}
