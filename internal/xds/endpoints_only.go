package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// EndpointsFor recomputes only the load assignments of the proxy's EDS
// clusters. Listeners, routes and clusters do not depend on EndpointSlices,
// so when only endpoints changed the previous translation's clusters are
// reused and this is all that runs. ok is false when a cluster's name does
// not say which service it is for; the caller then regenerates everything.
func EndpointsFor(m *model.Model, p Proxy, clusters []*clusterv3.Cluster) ([]*endpointv3.ClusterLoadAssignment, bool) {
	return EndpointsReusing(m, p, clusters, nil, func(string) bool { return false })
}

// assignmentFor is the load assignment of one EDS cluster: a telemetry
// collector's, or an outbound cluster's (empty for a host outside the
// proxy's Sidecar scope). False for a cluster it cannot recompute alone.
func (g *generator) assignmentFor(c *clusterv3.Cluster) (*endpointv3.ClusterLoadAssignment, bool) {
	if a, ok := telemetryAssignment(g.m, c.Name); ok {
		return a, true
	}
	key, ok := names.ParseCluster(c.Name)
	if !ok || key.Direction != names.Outbound {
		return nil, false
	}
	eps, plan := subsetEndpoints(g.m, g.proxy, key)
	if svc := g.m.Services[key.Host]; svc != nil && !g.serviceInScope(svc) {
		eps, plan = nil, nil // the empty cluster of a host outside the Sidecar's scope
	}
	return localityAssignment(c.Name, eps, plan, g.proxy), true
}

// subsetEndpoints are the endpoints of the cluster's service port and
// subset, with the locality plan its DestinationRule gives them (the same
// effective policy outboundCluster applies).
func subsetEndpoints(m *model.Model, p Proxy, key names.ClusterKey) ([]model.Endpoint, *policy.LocalityPlan) {
	svc := m.Services[key.Host]
	if svc == nil || !svc.ExportTo.VisibleTo(p.Namespace) {
		// The empty cluster of a destination the proxy cannot see.
		return nil, nil
	}
	eps := svc.Endpoints[key.Port]
	dr := m.DestinationRuleFor(p.Namespace, p.Labels, svc)
	if key.Subset == "" {
		if dr == nil {
			return eps, nil
		}
		return eps, policy.LocalityPlanFor(policy.Effective(dr.Spec.TrafficPolicy, nil, key.Port))
	}
	if dr == nil {
		return nil, nil
	}
	s := dr.Subset(key.Subset)
	if s == nil {
		return nil, nil
	}
	return filterEndpoints(eps, s.Labels), policy.LocalityPlanFor(policy.Effective(dr.Spec.TrafficPolicy, s.TrafficPolicy, key.Port))
}
