package xdsserver

import (
	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	listenerservice "github.com/envoyproxy/go-control-plane/envoy/service/listener/v3"
	routeservice "github.com/envoyproxy/go-control-plane/envoy/service/route/v3"
	secretservice "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
)

// The gRPC services a port serves: ADS, and each type's own service, in
// state of the world and Delta. The per-type services' Fetch (REST-style
// polling) is not offered: the embedded Unimplemented servers answer it.

type (
	sotwStreamServer  = grpc.BidiStreamingServer[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]
	deltaStreamServer = grpc.BidiStreamingServer[discoveryv3.DeltaDiscoveryRequest, discoveryv3.DeltaDiscoveryResponse]
)

type adsService struct{ p *port }

func (a adsService) StreamAggregatedResources(s sotwStreamServer) error {
	return a.p.serveSotW(s, resource.AnyType)
}

func (a adsService) DeltaAggregatedResources(s deltaStreamServer) error {
	return a.p.serveDelta(s, resource.AnyType)
}

type ldsService struct {
	listenerservice.UnimplementedListenerDiscoveryServiceServer
	p *port
}

func (l ldsService) StreamListeners(s sotwStreamServer) error {
	return l.p.serveSotW(s, resource.ListenerType)
}
func (l ldsService) DeltaListeners(s deltaStreamServer) error {
	return l.p.serveDelta(s, resource.ListenerType)
}

type rdsService struct {
	routeservice.UnimplementedRouteDiscoveryServiceServer
	p *port
}

func (r rdsService) StreamRoutes(s sotwStreamServer) error {
	return r.p.serveSotW(s, resource.RouteType)
}
func (r rdsService) DeltaRoutes(s deltaStreamServer) error {
	return r.p.serveDelta(s, resource.RouteType)
}

type cdsService struct {
	clusterservice.UnimplementedClusterDiscoveryServiceServer
	p *port
}

func (c cdsService) StreamClusters(s sotwStreamServer) error {
	return c.p.serveSotW(s, resource.ClusterType)
}
func (c cdsService) DeltaClusters(s deltaStreamServer) error {
	return c.p.serveDelta(s, resource.ClusterType)
}

type edsService struct {
	endpointservice.UnimplementedEndpointDiscoveryServiceServer
	p *port
}

func (e edsService) StreamEndpoints(s sotwStreamServer) error {
	return e.p.serveSotW(s, resource.EndpointType)
}
func (e edsService) DeltaEndpoints(s deltaStreamServer) error {
	return e.p.serveDelta(s, resource.EndpointType)
}

type sdsService struct {
	secretservice.UnimplementedSecretDiscoveryServiceServer
	p *port
}

func (d sdsService) StreamSecrets(s sotwStreamServer) error {
	return d.p.serveSotW(s, resource.SecretType)
}
func (d sdsService) DeltaSecrets(s deltaStreamServer) error {
	return d.p.serveDelta(s, resource.SecretType)
}

// register adds the port's xDS services to g.
func (p *port) register(g *grpc.Server) {
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, adsService{p})
	listenerservice.RegisterListenerDiscoveryServiceServer(g, ldsService{p: p})
	routeservice.RegisterRouteDiscoveryServiceServer(g, rdsService{p: p})
	clusterservice.RegisterClusterDiscoveryServiceServer(g, cdsService{p: p})
	endpointservice.RegisterEndpointDiscoveryServiceServer(g, edsService{p: p})
	secretservice.RegisterSecretDiscoveryServiceServer(g, sdsService{p: p})
}
