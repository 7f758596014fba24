package xds

import (
	"fmt"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// gatewayTCPFilter forwards a TCP server's connections (TLS already
// terminated, or none) by the first tcp rule that applies, among the
// VirtualServices bound to the server's Gateway and hosts. Nil when no
// rule does: Istio then opens no chain for the server.
func (g *generator) gatewayTCPFilter(s *gwServer) *listenerv3.Filter {
	for _, vs := range g.m.VirtualServicesForGateway(s.name, g.proxy.Namespace) {
		if len(model.BoundHosts(s.hosts, vs)) == 0 {
			continue
		}
		for i, rule := range vs.Spec.TCP {
			if len(rule.Route) == 0 || !gatewayL4Applies(rule.Match, vs, s) {
				continue
			}
			tp := &tcpv3.TcpProxy{StatPrefix: s.String()}
			g.tcpWeighted(tp, vs, fmt.Sprintf("tcp[%d]", i), rule.Route, s.serverPort())
			if tp.ClusterSpecifier == nil {
				return nil // every destination failed; reported
			}
			tp.StatPrefix = statPrefixOf(tp)
			return tcpProxyFilter(tp)
		}
	}
	return nil
}

// gatewayL4Applies reads tcp matches on a gateway: only port (the port the
// Gateway wrote) and gateways mean anything there; no match applies.
func gatewayL4Applies(ms []networkingv1.L4MatchAttributes, vs *model.VirtualService, s *gwServer) bool {
	if len(ms) == 0 {
		return true
	}
	for _, m := range ms {
		if gatewayMatchApplies(uint32(m.Port), m.Gateways, vs, s) {
			return true
		}
	}
	return false
}

func gatewayMatchApplies(port uint32, gateways []string, vs *model.VirtualService, s *gwServer) bool {
	if port != 0 && port != s.serverPort() {
		return false
	}
	return len(gateways) == 0 || contains(model.QualifyGateways(gateways, vs.Ref.Namespace), s.name)
}

// passthroughChains routes a PASSTHROUGH server's connections by SNI
// without terminating TLS: a chain per matching tls rule, matching its
// sniHosts. An SNI name already claimed on the port is reported against
// the later rule and left out; Envoy rejects duplicate matches.
func (g *generator) passthroughChains(p *gwPort, s *gwServer) []*listenerv3.FilterChain {
	var chains []*listenerv3.FilterChain
	for _, vs := range g.m.VirtualServicesForGateway(s.name, g.proxy.Namespace) {
		if len(model.BoundHosts(s.hosts, vs)) == 0 {
			continue
		}
		ref := model.ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref}
		for i, rule := range vs.Spec.TLS {
			for j, m := range rule.Match {
				if len(rule.Route) == 0 || !gatewayMatchApplies(uint32(m.Port), m.Gateways, vs, s) {
					continue
				}
				if dup := claimSNI(p, m.SniHosts, s, fmt.Sprintf("VirtualService %s tls[%d]", vs.Ref, i)); dup != "" {
					g.problem(ref, fmt.Sprintf("tls[%d].match[%d].sniHosts", i, j), fmt.Sprintf(
						"SNI %q on gateway port %d is already routed by %s; this match is left out", dup, p.number, p.sni[dup].desc))
					continue
				}
				tp := &tcpv3.TcpProxy{}
				g.tcpWeighted(tp, vs, fmt.Sprintf("tls[%d]", i), rule.Route, s.serverPort())
				if tp.ClusterSpecifier == nil {
					continue
				}
				tp.StatPrefix = statPrefixOf(tp)
				// Unnamed, as Istio's passthrough chains (see terminatingChain).
				chains = append(chains, &listenerv3.FilterChain{
					FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: sniNames(m.SniHosts)},
					Filters:          []*listenerv3.Filter{tcpProxyFilter(tp)},
				})
			}
		}
	}
	return chains
}

// claimSNI reserves SNI names on the port for a chain of server s; it
// returns the first name something else holds already (reserving nothing
// then). The server's own hosts are free for its own chains.
func claimSNI(p *gwPort, sni []string, s *gwServer, owner string) string {
	for _, h := range sni {
		if prev, taken := p.sni[h]; taken && prev.server != s {
			return h
		}
	}
	for _, h := range sni {
		p.sni[h] = sniOwner{desc: owner}
	}
	return ""
}

func sniNames(hosts []string) []string {
	for _, h := range hosts {
		if h == "*" {
			return nil
		}
	}
	return hosts
}

// autoPassthroughChains serves AUTO_PASSTHROUGH: the client names the
// destination in its SNI as `outbound_.<port>_.<subset>_.<host>` and the
// connection goes, still encrypted, to that cluster. A chain per service
// port (and subset) the server's hosts cover; no VirtualService is read.
func (g *generator) autoPassthroughChains(p *gwPort, s *gwServer) []*listenerv3.FilterChain {
	var chains []*listenerv3.FilterChain
	for _, svc := range g.visibleServices() {
		if svc.MeshExternal || !coversHost(s.hosts, svc.Hostname) {
			continue
		}
		dr := g.m.DestinationRuleFor(g.proxy.Namespace, g.proxy.Labels, svc)
		subsets := []string{""}
		if dr != nil {
			for i, ss := range dr.Spec.Subsets {
				if dr.SubsetUsable(i) {
					subsets = append(subsets, ss.Name)
				}
			}
		}
		for _, port := range svc.Ports {
			if port.Protocol == model.UDP {
				continue
			}
			for _, subset := range subsets {
				cluster := names.SNIDNATCluster(port.Number, subset, svc.Hostname)
				if claimSNI(p, []string{cluster}, s, s.String()) != "" {
					continue // another auto-passthrough server covers it already
				}
				g.sniDNAT[cluster] = sniDNATTarget{svc: svc, port: port, subset: subset}
				// Unnamed, as Istio's (see terminatingChain).
				chains = append(chains, &listenerv3.FilterChain{
					FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: []string{cluster}},
					Filters:          []*listenerv3.Filter{tcpProxy(cluster, cluster)},
				})
			}
		}
	}
	return chains
}

func coversHost(hosts []model.ServerHost, host string) bool {
	for _, h := range hosts {
		if model.HostMatches(h.Host, host) {
			return true
		}
	}
	return false
}

// statPrefixOf names a tcp_proxy's stats after its cluster, as the
// sidecar's do.
func statPrefixOf(tp *tcpv3.TcpProxy) string {
	if c := tp.GetCluster(); c != "" {
		return c
	}
	return "weighted"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
