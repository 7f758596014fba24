package xds

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	httpinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/http_inspector/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// Protocol detection ("sniffing") for ports whose protocol is Auto, in
// Istio's shape: Envoy's http_inspector reads the first bytes of each
// connection; a filter chain matching application protocols http/1.1 and
// h2c on a plain-text connection routes it as HTTP, and everything else
// (TLS, other protocols) falls through to the TCP chain.

// sniffs says whether this proxy detects the protocol of the port: a
// sidecar does for Auto ports. Gateways never see such ports (their
// servers declare the protocol) and proxyless gRPC clients speak only
// HTTP/2, so for them every port is HTTP already.
func (g *generator) sniffs(p model.Port) bool {
	return p.Protocol.Sniffed() && g.proxy.Type == names.Sidecar && !g.proxyless
}

// sniffedListeners gives a sniffed service port a listener per virtual IP
// (`<vip>_<port>`), whose HTTP chain routes by the service's own route
// configuration `<fqdn>:<port>` and whose default chain is the port's
// tcp_proxy (tcp rules of its VirtualServices, else its cluster).
func (g *generator) sniffedListeners(svc *model.Service, p model.Port) {
	var rc *routev3.RouteConfiguration
	for _, a := range svc.Addresses {
		if !isIP(a) {
			continue // CIDR ranges need filter-chain matching; not built yet
		}
		name := names.OutboundTCPListener(a, p.Number)
		if g.hasListener(name) {
			g.serviceProblem(svc, fmt.Sprintf("ports[%s]", p.Name),
				fmt.Sprintf("address %s port %d is already served for another host; host %q gets no listener there", a, p.Number, svc.Hostname))
			continue
		}
		if old, kept := g.reuse.listener(svc.Hostname, name); kept {
			if rc == nil {
				if rc = g.reuse.route(names.SniffedRouteConfig(svc.Hostname, p.Number)); rc != nil {
					g.out.Routes = append(g.out.Routes, rc)
				}
			}
			if old != nil {
				g.out.Listeners = append(g.out.Listeners, old)
			}
			continue
		}
		if rc == nil {
			rc = g.sniffedRouteConfig(svc, p.Number)
			g.out.Routes = append(g.out.Routes, rc)
		}
		g.out.Listeners = append(g.out.Listeners, sniffingListener(name, a, p.Number, rc, g.tcpProxyFor(svc, p)))
	}
}

// sniffedRouteConfig is route configuration `<fqdn>:<port>`: the service's
// routes only, in one virtual host that matches any authority (the
// listener already chose the service by address), with no allow_any.
func (g *generator) sniffedRouteConfig(svc *model.Service, port uint32) *routev3.RouteConfiguration {
	rc := &routev3.RouteConfiguration{Name: names.SniffedRouteConfig(svc.Hostname, port)}
	if routes, _ := g.serviceRoutes(svc, port); len(routes) > 0 {
		rc.VirtualHosts = []*routev3.VirtualHost{{
			Name:    names.VirtualHost(svc.Hostname, port),
			Domains: []string{"*"},
			Routes:  routes,
		}}
	}
	return rc
}

// sniffingListener is an outbound listener that detects HTTP: its one
// filter chain takes plain-text HTTP/1.1 and HTTP/2 to rc, its default
// chain forwards the rest with tcp.
func sniffingListener(name, addr string, port uint32, rc *routev3.RouteConfiguration, tcp *tcpv3.TcpProxy) *listenerv3.Listener {
	return &listenerv3.Listener{
		Name:                             name,
		Address:                          socketAddress(addr, port),
		BindToPort:                       wrapperspb.Bool(false), // reached through virtualOutbound
		TrafficDirection:                 corev3.TrafficDirection_OUTBOUND,
		ListenerFilters:                  []*listenerv3.ListenerFilter{httpInspector(nil)},
		ListenerFiltersTimeout:           durationpb.New(defaults.ProtocolDetectionTimeout),
		ContinueOnListenerFiltersTimeout: true,
		FilterChains: []*listenerv3.FilterChain{{
			FilterChainMatch: sniffedHTTPMatch(),
			Filters:          []*listenerv3.Filter{outboundHCM(name, rc)},
		}},
		DefaultFilterChain: &listenerv3.FilterChain{Filters: []*listenerv3.Filter{tcpProxyFilter(tcp)}},
	}
}

// sniffedHTTPMatch matches connections the HTTP inspector found to be
// plain-text HTTP.
func sniffedHTTPMatch() *listenerv3.FilterChainMatch {
	return &listenerv3.FilterChainMatch{
		TransportProtocol:    names.TransportProtocolRawBuffer,
		ApplicationProtocols: append([]string(nil), defaults.SniffedHTTPProtocols...),
	}
}

// httpInspector is Envoy's HTTP inspector, skipped for connections
// matching disabled (nil: never skipped).
func httpInspector(disabled *listenerv3.ListenerFilterChainMatchPredicate) *listenerv3.ListenerFilter {
	return &listenerv3.ListenerFilter{
		Name:           names.HTTPInspectorListenerFilter,
		ConfigType:     &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&httpinspectorv3.HttpInspector{})},
		FilterDisabled: disabled,
	}
}
