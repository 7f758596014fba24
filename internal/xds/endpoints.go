package xds

import (
	"sort"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/model"
)

// loadAssignment groups ready endpoints by locality. Every locality carries
// a locality message and a weight (the sum of its endpoints' weights):
// gRPC's xDS client rejects localities without an id and ignores ones
// without a weight.
func loadAssignment(cluster string, eps []model.Endpoint) *endpointv3.ClusterLoadAssignment {
	byLocality := map[string]*endpointv3.LocalityLbEndpoints{}
	var order []string
	for _, e := range eps {
		if !e.Ready {
			continue
		}
		loc, ok := byLocality[e.Locality]
		if !ok {
			loc = &endpointv3.LocalityLbEndpoints{Locality: parseLocality(e.Locality), LoadBalancingWeight: wrapperspb.UInt32(0)}
			byLocality[e.Locality] = loc
			order = append(order, e.Locality)
		}
		w := e.Weight
		if w == 0 {
			w = 1
		}
		loc.LbEndpoints = append(loc.LbEndpoints, lbEndpoint(e, w))
		loc.LoadBalancingWeight = wrapperspb.UInt32(loc.LoadBalancingWeight.GetValue() + w)
	}
	sort.Strings(order)
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: cluster}
	for _, l := range order {
		cla.Endpoints = append(cla.Endpoints, byLocality[l])
	}
	return cla
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

// parseLocality reads Istio's "region/zone/subzone" form; a bare zone (as
// EndpointSlices carry) is a zone.
func parseLocality(s string) *corev3.Locality {
	parts := strings.SplitN(s, "/", 3)
	switch len(parts) {
	case 3:
		return &corev3.Locality{Region: parts[0], Zone: parts[1], SubZone: parts[2]}
	case 2:
		return &corev3.Locality{Region: parts[0], Zone: parts[1]}
	}
	if s == "" {
		return &corev3.Locality{}
	}
	return &corev3.Locality{Zone: s}
}

func socketAddress(addr string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       addr,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}
