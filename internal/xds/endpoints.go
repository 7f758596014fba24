package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/model"
)

// loadAssignment groups ready endpoints by locality. Every locality carries
// a locality message and a weight (the sum of its endpoints' weights):
// gRPC's xDS client rejects localities without an id and ignores ones
// without a weight. All localities are priority 0; localityAssignment
// applies a DestinationRule's locality settings.
func loadAssignment(cluster string, eps []model.Endpoint) *endpointv3.ClusterLoadAssignment {
	return localityAssignment(cluster, eps, nil, Proxy{})
}

func lbEndpoint(e model.Endpoint, weight uint32) *endpointv3.LbEndpoint {
	return &endpointv3.LbEndpoint{
		HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: socketAddress(e.Address, e.Port),
		}},
		HealthStatus:        corev3.HealthStatus_HEALTHY,
		LoadBalancingWeight: wrapperspb.UInt32(weight),
		Metadata:            endpointMetadata(e),
	}
}

// parseLocality reads Istio's "region/zone/subzone" form (one part is a
// region; an EndpointSlice's zone alone is "/zone").
func parseLocality(s string) *corev3.Locality {
	region, zone, subzone := model.SplitLocality(s)
	return &corev3.Locality{Region: region, Zone: zone, SubZone: subzone}
}

func socketAddress(addr string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       addr,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}
