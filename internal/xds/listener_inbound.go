package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	originaldstv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/original_dst/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// virtualInbound receives all captured inbound traffic on 15006. Filter
// chains per workload port, as its PeerAuthentication mode asks
// (listener_inbound_mtls.go), send it to that port's inbound cluster
// (through an HTTP connection manager for HTTP ports; a port whose
// protocol is detected gets both, chosen by the HTTP inspector on plain
// text and by ALPN under mutual TLS); anything else passes through to the
// app.
func (g *generator) virtualInbound(ports []inboundPort) {
	var chains []*listenerv3.FilterChain
	for _, ip := range ports {
		chains = append(chains, g.inboundChains(ip)...)
	}
	passthrough, def := g.inboundPassthrough()
	filters, inspects, sniffs := g.inboundListenerFilters(ports)
	l := &listenerv3.Listener{
		Name:               names.VirtualInbound,
		Address:            socketAddress(names.WildcardAddress, defaults.InboundCapturePort),
		TrafficDirection:   corev3.TrafficDirection_INBOUND,
		ListenerFilters:    filters,
		FilterChains:       append(chains, passthrough...),
		DefaultFilterChain: def,
	}
	if inspects {
		l.ContinueOnListenerFiltersTimeout = true
	}
	if sniffs {
		l.ListenerFiltersTimeout = durationpb.New(defaults.ProtocolDetectionTimeout)
	}
	g.out.Listeners = append(g.out.Listeners, l)
}

func originalDstFilter() *originaldstv3.OriginalDst { return &originaldstv3.OriginalDst{} }

func (g *generator) inboundChain(ip inboundPort) *listenerv3.FilterChain {
	if !ip.port.Protocol.IsHTTP() {
		return g.inboundTCPChain(ip)
	}
	return g.inboundHTTPChain(ip)
}

func (g *generator) inboundTCPChain(ip inboundPort) *listenerv3.FilterChain {
	cluster := names.InboundCluster(ip.target, ip.svc.Hostname)
	return &listenerv3.FilterChain{
		Name:             names.InboundFilterChain(ip.target),
		FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(ip.target)},
		Filters:          []*listenerv3.Filter{tcpProxy(cluster, cluster)},
	}
}

func (g *generator) inboundHTTPChain(ip inboundPort) *listenerv3.FilterChain {
	cluster := names.InboundCluster(ip.target, ip.svc.Hostname)
	// The chain's name is also its stat prefix; the mutual TLS chains of
	// the port, renamed after they are built, keep the prefix.
	chain := &listenerv3.FilterChain{
		Name:             names.InboundFilterChain(ip.target),
		FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(ip.target)},
	}
	rc := inboundRouteConfig(cluster)
	chain.Filters = []*listenerv3.Filter{hcmFilter(&hcmv3.HttpConnectionManager{
		StatPrefix:     names.InboundStatPrefix + "_" + chain.Name,
		CodecType:      hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: rc},
		HttpFilters:    append(g.jwtAuthnFilters(), httpFilters(rc)...),
		// Istio's: the app (and match.from) sees the mutual TLS peer;
		// Envoy drops the header when there is none.
		ForwardClientCertDetails:    hcmv3.HttpConnectionManager_APPEND_FORWARD,
		SetCurrentClientCertDetails: peerCertDetails(),
	})}
	return chain
}

// inboundRouteConfig sends every request to the app, with no timeout (the
// caller's sidecar enforces the route timeout).
func inboundRouteConfig(cluster string) *routev3.RouteConfiguration {
	return &routev3.RouteConfiguration{
		Name: cluster,
		VirtualHosts: []*routev3.VirtualHost{{
			Name:    cluster,
			Domains: []string{"*"},
			Routes: []*routev3.Route{{
				Name:  "default",
				Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{
					ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: cluster},
					Timeout:          durationpb.New(defaults.RouteTimeout),
				}},
			}},
		}},
	}
}
