package xds

import (
	"fmt"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// tlsChains builds a filter chain per SNI match of the tls rules bound to a
// TLS/HTTPS service port, for traffic the proxy forwards without
// terminating. Nil when no tls rule applies.
func (g *generator) tlsChains(svc *model.Service, p model.Port) []*listenerv3.FilterChain {
	var chains []*listenerv3.FilterChain
	// First match wins, as in Istio: a server name an earlier match took
	// would give two filter chains the same match, and Envoy refuses the
	// whole listener.
	claimed := map[string]bool{}
	for _, vs := range g.sidecarVirtualServices(svc.Hostname) {
		for i, rule := range vs.Spec.TLS {
			for j, m := range rule.Match {
				if !g.tlsMatchApplies(m, vs, p.Number) {
					continue
				}
				if len(m.SniHosts) == 0 {
					// Istio's validation requires them; without, the chain
					// would match what the listener's plain chain does.
					g.problem(model.ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref}, fmt.Sprintf("tls[%d].match[%d].sniHosts", i, j),
						"a tls match needs sniHosts; the match is ignored")
					continue
				}
				sni, dup := unclaimedSNI(m.SniHosts, claimed)
				if dup {
					g.problem(model.ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref}, fmt.Sprintf("tls[%d].match[%d].sniHosts", i, j),
						"every server name of the match is matched by an earlier tls rule on port "+fmt.Sprint(p.Number)+"; the match is ignored")
					continue
				}
				m.SniHosts = sni
				tp := &tcpv3.TcpProxy{StatPrefix: svc.Hostname}
				g.tcpWeighted(tp, vs, fmt.Sprintf("tls[%d]", i), rule.Route, p.Number)
				if tp.ClusterSpecifier == nil {
					continue
				}
				chains = append(chains, &listenerv3.FilterChain{
					FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: m.SniHosts},
					Filters:          []*listenerv3.Filter{tcpProxyFilter(tp)},
				})
			}
		}
	}
	return chains
}

// unclaimedSNI returns the server names not yet claimed and claims them;
// dup when nothing is left.
func unclaimedSNI(sni []string, claimed map[string]bool) ([]string, bool) {
	var out []string
	for _, h := range sni {
		if !claimed[h] {
			claimed[h] = true
			out = append(out, h)
		}
	}
	return out, len(out) == 0
}

func (g *generator) tlsMatchApplies(m networkingv1.TLSMatchAttributes, vs *model.VirtualService, port uint32) bool {
	if m.Port != 0 && uint32(m.Port) != port {
		return false
	}
	if !labelsMatch(m.SourceLabels, g.proxy.Labels) || m.SourceNamespace != "" && m.SourceNamespace != g.proxy.Namespace {
		return false
	}
	return len(m.Gateways) == 0 || model.Intersects(model.QualifyGateways(m.Gateways, vs.Ref.Namespace), g.gateways)
}

// setTCPClusters points tp at one cluster or splits by weight; with none
// it leaves tp as it was.
func setTCPClusters(tp *tcpv3.TcpProxy, clusters []*tcpv3.TcpProxy_WeightedCluster_ClusterWeight) {
	switch len(clusters) {
	case 0:
	case 1:
		tp.ClusterSpecifier = &tcpv3.TcpProxy_Cluster{Cluster: clusters[0].Name}
	default:
		tp.ClusterSpecifier = &tcpv3.TcpProxy_WeightedClusters{WeightedClusters: &tcpv3.TcpProxy_WeightedCluster{Clusters: clusters}}
	}
}

func tlsInspector() *listenerv3.ListenerFilter {
	return &listenerv3.ListenerFilter{
		Name:       names.TLSInspectorListenerFilter,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustAny(&tlsinspectorv3.TlsInspector{})},
	}
}
