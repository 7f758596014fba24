package xds

import (
	"fmt"
	"net/netip"

	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// tcpProxyFor builds the tcp_proxy of a TCP service port: the first tcp
// rule of the service's VirtualServices that applies to this proxy and
// port, or straight to the service's own cluster.
func (g *generator) tcpProxyFor(svc *model.Service, p model.Port) *tcpv3.TcpProxy {
	cluster := names.OutboundCluster(p.Number, "", svc.Hostname)
	tp := &tcpv3.TcpProxy{StatPrefix: cluster, ClusterSpecifier: &tcpv3.TcpProxy_Cluster{Cluster: cluster}}
	for _, vs := range g.sidecarVirtualServices(svc.Hostname) {
		for i, rule := range vs.Spec.TCP {
			if !g.tcpRuleApplies(rule, vs, p.Number) {
				continue
			}
			g.tcpWeighted(tp, vs, fmt.Sprintf("tcp[%d]", i), rule.Route, p.Number)
			return tp
		}
	}
	return tp
}

func (g *generator) tcpRuleApplies(rule networkingv1.TCPRoute, vs *model.VirtualService, port uint32) bool {
	if len(rule.Match) == 0 {
		return true
	}
	for _, m := range rule.Match {
		if m.Port != 0 && uint32(m.Port) != port {
			continue
		}
		if !labelsMatch(m.SourceLabels, g.proxy.Labels) {
			continue
		}
		if m.SourceNamespace != "" && m.SourceNamespace != g.proxy.Namespace {
			continue
		}
		if len(m.Gateways) > 0 && !model.Intersects(model.QualifyGateways(m.Gateways, vs.Ref.Namespace), g.gateways) {
			continue
		}
		return true
	}
	return false
}

// tcpWeighted points tp at the destinations of a tcp or tls rule (field
// names the rule, e.g. "tcp[0]"); when none resolves (the problems are
// recorded) tp keeps the service's own cluster.
func (g *generator) tcpWeighted(tp *tcpv3.TcpProxy, vs *model.VirtualService, field string, dests []networkingv1.RouteDestination, port uint32) {
	ref := model.ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref}
	var clusters []*tcpv3.TcpProxy_WeightedCluster_ClusterWeight
	for j, d := range dests {
		c, err := g.clusterFor(vs.Ref.Namespace, d.Destination, port)
		if err != nil {
			g.problem(ref, fmt.Sprintf("%s.route[%d].destination", field, j), err.Error())
			if c == "" {
				continue
			}
			// A host outside the registry keeps its empty cluster: its
			// connections fail, as in Istio, and do not go elsewhere.
		}
		w := uint32(d.Weight)
		if len(dests) == 1 {
			w = 100
		}
		if w > 0 {
			clusters = append(clusters, &tcpv3.TcpProxy_WeightedCluster_ClusterWeight{Name: c, Weight: w})
		}
	}
	setTCPClusters(tp, clusters)
}

func labelsMatch(want, have map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
