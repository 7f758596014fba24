package xds

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/names"
)

// gatewayListener builds the listener of one port, bound to it, with a
// filter chain per server (per SNI route for passthrough servers). A port
// left with no chain gets no listener: Envoy rejects an empty one.
func (g *generator) gatewayListener(p *gwPort) {
	name := names.GatewayListener(p.number)
	var chains []*listenerv3.FilterChain
	if p.servers[0].kind == plainHTTP {
		rc := g.gatewayRouteConfig(names.GatewayHTTPRouteConfig(p.number), p.servers)
		g.out.Routes = append(g.out.Routes, rc)
		chains = append(chains, &listenerv3.FilterChain{Filters: []*listenerv3.Filter{g.gatewayHCM(name, rc)}})
	} else {
		for _, s := range p.servers {
			chains = append(chains, g.validChains(s, g.serverChains(p, s))...)
		}
	}
	if len(chains) == 0 {
		return
	}
	l := &listenerv3.Listener{
		Name:             name,
		Address:          socketAddress(names.WildcardAddress, p.number),
		BindToPort:       wrapperspb.Bool(true),
		TrafficDirection: corev3.TrafficDirection_OUTBOUND,
		FilterChains:     chains,
	}
	for _, c := range chains {
		if len(c.GetFilterChainMatch().GetServerNames()) > 0 || c.GetTransportSocket() != nil {
			// SNI matching needs the ClientHello read; like Istio, every
			// TLS listener gets the inspector.
			l.ListenerFilters = []*listenerv3.ListenerFilter{tlsInspector()}
			break
		}
	}
	g.out.Listeners = append(g.out.Listeners, l)
}

// serverChains builds the filter chains of one server on a port that
// carries TCP or TLS.
func (g *generator) serverChains(p *gwPort, s *gwServer) []*listenerv3.FilterChain {
	switch s.kind {
	case terminatedHTTPS:
		rc := g.gatewayRouteConfig(g.httpsRouteName(s), []*gwServer{s})
		g.out.Routes = append(g.out.Routes, rc)
		return []*listenerv3.FilterChain{terminatingChain(s, g.gatewayHCM(statName(s, p.number), rc))}
	case terminatedTCP, plainTCP:
		f := g.gatewayTCPFilter(s)
		if f == nil {
			return nil
		}
		if s.kind == plainTCP {
			return []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{f}}}
		}
		return []*listenerv3.FilterChain{terminatingChain(s, f)}
	case passthroughTLS:
		return g.passthroughChains(p, s)
	case autoPassthrough:
		return g.autoPassthroughChains(p, s)
	}
	return nil
}

// validChains drops, with a problem, a chain Envoy would refuse, so that
// one bad server does not cost the listener.
func (g *generator) validChains(s *gwServer, chains []*listenerv3.FilterChain) []*listenerv3.FilterChain {
	out := chains[:0]
	for _, c := range chains {
		if err := c.ValidateAll(); err != nil {
			g.problem(s.ref(), fmt.Sprintf("servers[%d]", s.idx), fmt.Sprintf("filter chain left out: invalid Envoy config: %v", err))
			continue
		}
		out = append(out, c)
	}
	return out
}

// terminatingChain matches the server's SNI names and terminates TLS with
// its context before handing the stream to filter. Like Istio's gateway
// chains it has no name: nothing refers to gateway chains by name (no
// filter_chain_matcher), and Envoy tells chains apart by their match.
func terminatingChain(s *gwServer, filter *listenerv3.Filter) *listenerv3.FilterChain {
	return &listenerv3.FilterChain{
		FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: serverNames(s)},
		TransportSocket: &corev3.TransportSocket{
			Name:       names.TLSTransportSocket,
			ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(s.tls)},
		},
		Filters: []*listenerv3.Filter{filter},
	}
}

// serverNames are the SNI names a TLS server answers: its hosts, without
// namespace. A "*" host answers any name, which Envoy writes as no
// server_names at all.
func serverNames(s *gwServer) []string {
	var out []string
	for _, h := range s.hosts {
		if h.Host == "*" {
			return nil
		}
		out = appendUnique(out, h.Host)
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// statName is the stat prefix of a server's connection manager: its name
// when the Gateway gives one, else the listener's.
func statName(s *gwServer, port uint32) string {
	if s.spec.Name != "" {
		return s.spec.Name
	}
	return names.GatewayListener(port)
}

// gatewayHCM is the HTTP connection manager of a gateway chain. The
// gateway is the edge: the client's address is the connection's peer
// (use_remote_address), not whatever X-Forwarded-For claims.
func (g *generator) gatewayHCM(stat string, rc *routev3.RouteConfiguration) *listenerv3.Filter {
	return hcmFilter(&hcmv3.HttpConnectionManager{
		StatPrefix:       names.OutboundStatPrefix + "_" + stat,
		CodecType:        hcmv3.HttpConnectionManager_AUTO,
		UseRemoteAddress: wrapperspb.Bool(true),
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			RouteConfigName: rc.Name,
			ConfigSource:    adsSource(),
		}},
		HttpFilters: append(g.jwtAuthnFilters(), httpFilters(rc)...),
		// Istio's gateway default: a client certificate (MUTUAL and
		// ISTIO_MUTUAL servers) replaces whatever XFCC the client sent.
		ForwardClientCertDetails:    hcmv3.HttpConnectionManager_SANITIZE_SET,
		SetCurrentClientCertDetails: peerCertDetails(),
	})
}
