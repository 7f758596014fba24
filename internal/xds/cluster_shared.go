package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// A sidecar's outbound cluster is a function of the service, its port and
// the DestinationRule (and subset) that applies to the proxy, and of the
// model; nothing else of the proxy, unless the rule's locality settings
// make its load assignment follow the proxy's locality. Every outbound
// half (one per namespace and source labels) would build the same
// clusters again, so they are built once per model and shared by pointer:
// one copy of each instead of one per outbound half.
//
// Gateways and proxyless clients change their clusters after building
// them (SNI-DNAT names, gRPC's transport choice), so they build their own.

// outboundClusterKey is the whole input of a shared outbound cluster
// besides the model.
type outboundClusterKey struct {
	svc  *model.Service
	port model.Port
	dr   *model.DestinationRule
	// subset is the index of the DestinationRule's subset, -1 for the
	// service's default cluster.
	subset int
}

// sharedCluster is what buildOutboundCluster adds: the cluster, its load
// assignment when it is an EDS cluster, and the problems found on the way
// (every proxy that gets the cluster reports them, as when each built it).
type sharedCluster struct {
	clusters  []*clusterv3.Cluster
	endpoints []*endpointv3.ClusterLoadAssignment
	problems  []ObjectProblem
}

func (g *generator) outboundCluster(svc *model.Service, port model.Port, dr *model.DestinationRule, subset *networkingv1.Subset, idx int) {
	if g.proxyless || g.proxy.Type != names.Sidecar || followsLocality(dr, subset, port.Number) {
		g.buildOutboundCluster(svc, port, dr, subset, idx)
		return
	}
	key := outboundClusterKey{svc: svc, port: port, dr: dr, subset: idx}
	shared := g.m.Memo(key, func() any {
		one := &generator{m: g.m, proxy: g.proxy, gateways: g.gateways, out: &Resources{}}
		one.buildOutboundCluster(svc, port, dr, subset, idx)
		return &sharedCluster{clusters: one.out.Clusters, endpoints: one.out.Endpoints, problems: one.out.Problems}
	}).(*sharedCluster)
	g.out.Clusters = append(g.out.Clusters, shared.clusters...)
	g.out.Endpoints = append(g.out.Endpoints, shared.endpoints...)
	g.out.Problems = append(g.out.Problems, shared.problems...)
}

// followsLocality reports whether the cluster's endpoints depend on the
// proxy's locality (localityAssignment reads the proxy then).
func followsLocality(dr *model.DestinationRule, subset *networkingv1.Subset, port uint32) bool {
	if dr == nil {
		return false
	}
	var sub *networkingv1.TrafficPolicy
	if subset != nil {
		sub = subset.TrafficPolicy
	}
	plan := policy.LocalityPlanFor(policy.Effective(dr.Spec.TrafficPolicy, sub, port))
	return plan != nil && (len(plan.Distribute) > 0 || plan.Failover)
}
