package xds

import (
	"sort"

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

// virtualInbound receives all captured inbound traffic on 15006. A filter
// chain per workload port sends it to that port's inbound cluster (through
// an HTTP connection manager for HTTP ports; a port whose protocol is
// detected gets both, chosen by the HTTP inspector); anything else passes
// through to the app unchanged.
func (g *generator) virtualInbound(ports []inboundPort) {
	var chains []*listenerv3.FilterChain
	var sniffed []uint32
	for _, ip := range ports {
		if g.sniffs(ip.port) {
			chains = append(chains, g.sniffedInboundChains(ip)...)
			sniffed = append(sniffed, ip.target)
			continue
		}
		chains = append(chains, g.inboundChain(ip))
	}
	l := &listenerv3.Listener{
		Name:             names.VirtualInbound,
		Address:          socketAddress(names.WildcardAddress, defaults.InboundCapturePort),
		TrafficDirection: corev3.TrafficDirection_INBOUND,
		ListenerFilters: []*listenerv3.ListenerFilter{{
			Name:       names.OriginalDstListenerFilter,
			ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&originaldstv3.OriginalDst{})},
		}},
		FilterChains: chains,
		DefaultFilterChain: &listenerv3.FilterChain{
			Name:    names.InboundPassthroughCluster,
			Filters: []*listenerv3.Filter{tcpProxy(names.InboundPassthroughCluster, names.InboundPassthroughCluster)},
		},
	}
	if len(sniffed) > 0 {
		// The inspector runs on the sniffed ports only: declared ports and
		// passthrough traffic (server-first protocols among them) never wait
		// for it.
		sort.Slice(sniffed, func(i, j int) bool { return sniffed[i] < sniffed[j] })
		l.ListenerFilters = append(l.ListenerFilters, httpInspector(exceptPorts(sniffed)))
		l.ListenerFiltersTimeout = durationpb.New(defaults.ProtocolDetectionTimeout)
		l.ContinueOnListenerFiltersTimeout = true
	}
	g.out.Listeners = append(g.out.Listeners, l)
}

// sniffedInboundChains are Istio's two plain-text chains of a sniffed
// workload port, both named for the port: HTTP/1.1 and h2c through an HTTP
// connection manager, anything else by tcp_proxy, to the same cluster.
func (g *generator) sniffedInboundChains(ip inboundPort) []*listenerv3.FilterChain {
	httpChain := g.inboundHTTPChain(ip)
	httpChain.FilterChainMatch = sniffedHTTPMatch()
	httpChain.FilterChainMatch.DestinationPort = wrapperspb.UInt32(ip.target)
	tcpChain := g.inboundTCPChain(ip)
	tcpChain.FilterChainMatch.TransportProtocol = names.RawBufferTransport
	return []*listenerv3.FilterChain{httpChain, tcpChain}
}

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
	chain := &listenerv3.FilterChain{
		Name:             names.InboundFilterChain(ip.target),
		FilterChainMatch: &listenerv3.FilterChainMatch{DestinationPort: wrapperspb.UInt32(ip.target)},
	}
	rc := inboundRouteConfig(cluster)
	chain.Filters = []*listenerv3.Filter{hcmFilter(&hcmv3.HttpConnectionManager{
		StatPrefix:     names.InboundStatPrefix + "_" + chain.Name,
		CodecType:      hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: rc},
		HttpFilters:    httpFilters(rc),
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
