package xds

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestShallowClusterSharesAndLeavesTheOriginal(t *testing.T) {
	c := &clusterv3.Cluster{
		Name:                 "outbound|80||a.ns.svc.cluster.local",
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		ConnectTimeout:       durationpb.New(10e9),
		CircuitBreakers:      &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{{}}},
		TransportSocketMatches: []*clusterv3.Cluster_TransportSocketMatch{
			{Name: "tlsMode-istio", TransportSocket: &corev3.TransportSocket{Name: "envoy.transport_sockets.tls"}},
			{Name: "tlsMode-disabled"},
		},
	}
	before := proto.Clone(c)
	nc := shallowCluster(c)
	if !proto.Equal(nc, c) {
		t.Fatalf("the shallow copy differs:\n%v\n%v", nc, c)
	}
	if nc.CircuitBreakers != c.CircuitBreakers || nc.ConnectTimeout != c.ConnectTimeout {
		t.Error("nested messages were copied, not shared")
	}
	nc.TransportSocketMatches = nc.TransportSocketMatches[1:]
	nc.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
	nc.TransportSocket = nil
	if !proto.Equal(c, before) {
		t.Errorf("changing the copy's top-level fields changed the original:\n%v", c)
	}
}
