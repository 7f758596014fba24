package outage

import (
	"context"
	"slices"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// cdsClient is a wildcard CDS subscription on one ADS stream, ACKing every
// response, as Envoy does.
type cdsClient struct {
	stream    discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node      *corev3.Node
	responses chan *discoveryv3.DiscoveryResponse
}

func dialCDS(t *testing.T, addr, nodeID string) *cdsClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); conn.Close() })
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &cdsClient{stream: stream, node: &corev3.Node{Id: nodeID}, responses: make(chan *discoveryv3.DiscoveryResponse, 64)}
	c.send(t, "", "")
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				close(c.responses)
				return
			}
			c.responses <- resp
		}
	}()
	return c
}

func (c *cdsClient) send(t *testing.T, version, nonce string) {
	t.Helper()
	err := c.stream.Send(&discoveryv3.DiscoveryRequest{Node: c.node, TypeUrl: resource.ClusterType, VersionInfo: version, ResponseNonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
}

// waitForCluster ACKs responses until one holds the named cluster, and
// returns its version.
func (c *cdsClient) waitForCluster(t *testing.T, name string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case resp, ok := <-c.responses:
			if !ok {
				t.Fatalf("ADS stream ended while waiting for cluster %s", name)
			}
			c.send(t, resp.VersionInfo, resp.Nonce)
			if slices.Contains(clusterNames(t, resp), name) {
				return resp.VersionInfo
			}
		case <-deadline:
			t.Fatalf("no CDS response with cluster %s within %s", name, timeout)
		}
	}
}

func clusterNames(t *testing.T, resp *discoveryv3.DiscoveryResponse) []string {
	t.Helper()
	var names []string
	for _, a := range resp.Resources {
		var c clusterv3.Cluster
		if err := a.UnmarshalTo(&c); err != nil {
			t.Fatal(err)
		}
		names = append(names, c.Name)
	}
	return names
}
