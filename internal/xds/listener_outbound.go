package xds

import (
	"fmt"
	"sort"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// virtualOutbound receives all captured outbound traffic on 15001 and hands
// each connection to the listener for its original destination; traffic
// for which no listener exists goes to PassthroughCluster (Istio's
// ALLOW_ANY outbound policy), or to BlackHoleCluster under REGISTRY_ONLY.
func (g *generator) virtualOutbound() {
	catchAll := names.PassthroughCluster
	if g.registryOnly() {
		catchAll = names.BlackHoleCluster
	}
	g.out.Listeners = append(g.out.Listeners, &listenerv3.Listener{
		Name:             names.VirtualOutbound,
		Address:          socketAddress(names.WildcardAddress, defaults.OutboundCapturePort),
		UseOriginalDst:   wrapperspb.Bool(true),
		TrafficDirection: corev3.TrafficDirection_OUTBOUND,
		FilterChains: []*listenerv3.FilterChain{{
			Name:    names.VirtualOutbound + "-catchall-tcp",
			Filters: []*listenerv3.Filter{tcpProxy(catchAll, catchAll)},
		}},
	})
}

// outboundListeners builds the listeners `0.0.0.0_<port>` with route
// configuration `<port>` for the ports some visible service serves HTTP on,
// and one listener `<vip>_<port>` per TCP or sniffed service address and
// port. As in Istio, route `<port>` also holds the services whose protocol
// on the port is detected, and a sniffed port without a virtual IP shares
// `0.0.0.0_<port>`, which then detects HTTP too.
func (g *generator) outboundListeners() {
	routed := map[uint32][]*model.Service{}
	wildcard := map[uint32]bool{}
	sniffedWildcard := map[uint32]*model.Service{}
	for _, svc := range g.visibleServices() {
		for _, p := range svc.Ports {
			switch {
			case p.Protocol.IsHTTP():
				routed[p.Number] = append(routed[p.Number], svc)
				wildcard[p.Number] = true
			case g.sniffs(p):
				routed[p.Number] = append(routed[p.Number], svc)
				if len(svc.Addresses) > 0 {
					continue
				}
				wildcard[p.Number] = true
				if first := sniffedWildcard[p.Number]; first != nil {
					g.serviceProblem(svc, fmt.Sprintf("ports[%s]", p.Name),
						fmt.Sprintf("port %d has no virtual IP and its protocol is detected; non-HTTP traffic to 0.0.0.0:%d goes to host %q, the first by host name", p.Number, p.Number, first.Hostname))
					continue
				}
				sniffedWildcard[p.Number] = svc
			}
		}
	}
	for _, port := range sortedPorts(wildcard) {
		rc := g.outboundRouteConfig(port, routed[port])
		g.out.Routes = append(g.out.Routes, rc)
		if svc := sniffedWildcard[port]; svc != nil {
			name := names.OutboundHTTPListener(port)
			g.out.Listeners = append(g.out.Listeners, sniffingListener(name, names.WildcardAddress, port, rc, g.tcpProxyFor(svc, *svc.Port(port))))
			continue
		}
		g.out.Listeners = append(g.out.Listeners, outboundHTTPListener(port, rc))
	}
	for _, svc := range g.visibleServices() {
		for _, p := range svc.Ports {
			switch {
			case g.sniffs(p):
				if len(svc.Addresses) > 0 {
					g.sniffedListeners(svc, p)
				}
			case !p.Protocol.IsHTTP() && p.Protocol != model.UDP:
				g.outboundTCPListeners(svc, p, wildcard)
			}
		}
	}
}

func sortedPorts[V any](m map[uint32]V) []uint32 {
	out := make([]uint32, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func outboundHTTPListener(port uint32, rc *routev3.RouteConfiguration) *listenerv3.Listener {
	name := names.OutboundHTTPListener(port)
	return &listenerv3.Listener{
		Name:             name,
		Address:          socketAddress(names.WildcardAddress, port),
		BindToPort:       wrapperspb.Bool(false), // reached through virtualOutbound
		TrafficDirection: corev3.TrafficDirection_OUTBOUND,
		FilterChains:     []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{outboundHCM(name, rc)}}},
	}
}

// outboundHCM is the HTTP connection manager of outbound listener name,
// routing by RDS route configuration rc.
func outboundHCM(name string, rc *routev3.RouteConfiguration) *listenerv3.Filter {
	return hcmFilter(&hcmv3.HttpConnectionManager{
		StatPrefix: names.OutboundStatPrefix + "_" + name,
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			RouteConfigName: rc.Name,
			ConfigSource:    adsSource(),
		}},
		HttpFilters: httpFilters(rc),
	})
}

// outboundTCPListeners gives a TCP service port a listener per virtual IP
// (`<vip>_<port>`), or `0.0.0.0_<port>` when it has none and no HTTP
// listener owns the port.
func (g *generator) outboundTCPListeners(svc *model.Service, p model.Port, wildcard map[uint32]bool) {
	addrs := svc.Addresses
	if len(addrs) == 0 {
		if wildcard[p.Number] {
			g.serviceProblem(svc, fmt.Sprintf("ports[%s]", p.Name),
				fmt.Sprintf("TCP port %d has no virtual IP and port %d carries HTTP for other services; no TCP listener is built for it", p.Number, p.Number))
			return
		}
		addrs = []string{names.WildcardAddress}
	}
	var chains []*listenerv3.FilterChain
	var listenerFilters []*listenerv3.ListenerFilter
	if !g.reuse.keeps(svc.Hostname) {
		chains, listenerFilters = g.tcpChains(svc, p)
	}
	for _, a := range addrs {
		if !isIP(a) {
			continue // CIDR ranges need filter-chain matching; not built yet
		}
		name := names.OutboundTCPListener(a, p.Number)
		if g.hasListener(name) {
			g.serviceProblem(svc, fmt.Sprintf("ports[%s]", p.Name),
				fmt.Sprintf("address %s port %d is already served for another host; host %q gets no TCP listener there", a, p.Number, svc.Hostname))
			continue
		}
		if old, kept := g.reuse.listener(svc.Hostname, name); kept {
			if old != nil {
				g.out.Listeners = append(g.out.Listeners, old)
			}
			continue
		}
		g.out.Listeners = append(g.out.Listeners, &listenerv3.Listener{
			Name:             name,
			Address:          socketAddress(a, p.Number),
			BindToPort:       wrapperspb.Bool(false),
			TrafficDirection: corev3.TrafficDirection_OUTBOUND,
			ListenerFilters:  listenerFilters,
			FilterChains:     chains,
		})
	}
}

// tcpChains are a TCP service port's filter chains: SNI chains first when
// its TLS rules give some, then the plain chain that catches the rest.
func (g *generator) tcpChains(svc *model.Service, p model.Port) ([]*listenerv3.FilterChain, []*listenerv3.ListenerFilter) {
	chains := []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{tcpProxyFilter(g.tcpProxyFor(svc, p))}}}
	if p.Protocol == model.TLS || p.Protocol == model.HTTPS {
		if sni := g.tlsChains(svc, p); len(sni) > 0 {
			return append(sni, chains...), []*listenerv3.ListenerFilter{tlsInspector()}
		}
	}
	return chains, nil
}

func (g *generator) hasListener(name string) bool {
	for _, l := range g.out.Listeners {
		if l.Name == name {
			return true
		}
	}
	return false
}

// serviceProblem records a problem against the ServiceEntry that defined a
// host; problems with Kubernetes services are not Istio objects' and are
// dropped here.
func (g *generator) serviceProblem(svc *model.Service, field, reason string) {
	if svc.FromServiceEntry != nil {
		g.problem(model.ObjectRef{Kind: "ServiceEntry", NamespacedName: *svc.FromServiceEntry}, field, reason)
	}
}
