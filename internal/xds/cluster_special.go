package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// specialClusters are Istio's fixed clusters: BlackHole drops, Passthrough
// forwards to the original destination, InboundPassthrough forwards
// inbound traffic for ports no service declares to the app, from
// 127.0.0.6 so the capture rules let it through.
func (g *generator) specialClusters() {
	g.addCluster(&clusterv3.Cluster{
		Name:                 names.BlackHoleCluster,
		ConnectTimeout:       durationpb.New(defaults.ConnectTimeout),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
	})
	g.addCluster(originalDst(names.PassthroughCluster, ""))
	g.addCluster(originalDst(names.InboundPassthroughCluster, defaults.InboundPassthroughIP))
}

func originalDst(name, sourceIP string) *clusterv3.Cluster {
	c := &clusterv3.Cluster{
		Name:                 name,
		ConnectTimeout:       durationpb.New(defaults.ConnectTimeout),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST},
		LbPolicy:             clusterv3.Cluster_CLUSTER_PROVIDED,
	}
	if sourceIP != "" {
		c.UpstreamBindConfig = &corev3.BindConfig{SourceAddress: &corev3.SocketAddress{
			Address:       sourceIP,
			PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 0},
		}}
	}
	return c
}
