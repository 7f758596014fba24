package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// sniDNATTarget is the service port (and subset) behind an SNI-DNAT
// cluster.
type sniDNATTarget struct {
	svc    *model.Service
	port   model.Port
	subset string
}

// gatewayClusters builds the clusters a gateway's listeners and routes
// reach: for every service a route, mirror or tcp rule sends traffic to
// (unlike a sidecar, a gateway needs no others), all its
// outbound clusters (each port, each subset, with the DestinationRule's
// policy and EDS), exactly as a sidecar has them; and the SNI-DNAT
// clusters of AUTO_PASSTHROUGH servers. BlackHoleCluster is always there,
// as on Istio's gateways.
func (g *generator) gatewayClusters() {
	g.addCluster(&clusterv3.Cluster{
		Name:                 names.BlackHoleCluster,
		ConnectTimeout:       durationpb.New(defaults.ConnectTimeout),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
	})
	for _, h := range g.routedHosts() {
		g.serviceClusters(g.m.Services[h])
	}
	for _, name := range sortedKeys(g.sniDNAT) {
		g.sniDNATCluster(name, g.sniDNAT[name])
	}
}

// sniDNATCluster is the outbound cluster of the target under its SNI-DNAT
// name, without the DestinationRule's TLS origination: the client's own
// TLS passes through the gateway to the backend.
func (g *generator) sniDNATCluster(name string, t sniDNATTarget) {
	dr := g.m.DestinationRuleFor(g.proxy.Namespace, g.proxy.Labels, t.svc)
	idx := -1
	var subset *networkingv1.Subset
	if dr != nil {
		for i := range dr.Spec.Subsets {
			if dr.Spec.Subsets[i].Name == t.subset && dr.SubsetUsable(i) {
				idx, subset = i, &dr.Spec.Subsets[i]
			}
		}
	}
	nc, ne := len(g.out.Clusters), len(g.out.Endpoints)
	g.outboundCluster(t.svc, t.port, dr, subset, idx)
	c := g.out.Clusters[nc]
	c.Name, c.TransportSocket = name, nil
	if len(g.out.Endpoints) > ne {
		g.out.Endpoints[ne].ClusterName = name
	}
	if c.LoadAssignment != nil {
		c.LoadAssignment.ClusterName = name
	}
}

// routedHosts lists, sorted, the services the generated routes and
// tcp_proxies send traffic to. Reading the output rather than recording
// every destination translated keeps out those of rules that do not apply
// on this gateway. Hosts the gateway cannot see are left out: their
// clusters are the empty ones of unresolvedClusters.
func (g *generator) routedHosts() []string {
	set := map[string]bool{}
	for cluster := range g.referencedClusters() {
		if k, ok := names.ParseCluster(cluster); ok && k.Direction == names.Outbound && g.m.Services[k.Host] != nil && !g.unresolved[cluster] {
			set[k.Host] = true
		}
	}
	return sortedKeys(set)
}

// tcpProxyClusters lists the clusters a tcp_proxy filter forwards to.
func tcpProxyClusters(f *listenerv3.Filter) []string {
	var tp tcpv3.TcpProxy
	if f.Name != names.TCPProxyFilter || f.GetTypedConfig().UnmarshalTo(&tp) != nil {
		return nil
	}
	out := []string{tp.GetCluster()}
	for _, w := range tp.GetWeightedClusters().GetClusters() {
		out = append(out, w.Name)
	}
	return out
}
