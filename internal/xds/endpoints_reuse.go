package xds

import (
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// EndpointsReusing is EndpointsFor when only some services' endpoints
// changed: the load assignment of a cluster whose service is unchanged is
// prev's own (the same pointer, so the snapshot builder neither rebuilds
// nor marshals it); only the changed services' are computed. prev is the
// proxy's previous load assignments, in the order EndpointsFor gives them,
// computed for the same proxy (locality, namespace, labels) and the same
// DestinationRules; unchanged reports whether a host's service (its
// endpoints and visibility) is as it was when prev was computed. The
// result equals EndpointsFor's.
func EndpointsReusing(m *model.Model, p Proxy, clusters []*clusterv3.Cluster, prev []*endpointv3.ClusterLoadAssignment, unchanged func(host string) bool) ([]*endpointv3.ClusterLoadAssignment, bool) {
	return EndpointsSharing(m, p, clusters, prev, unchanged, nil)
}

// EndpointsSharing is EndpointsReusing for proxies of one outbound input
// (OutboundKey) whose cluster lists differ: shared holds, by cluster name,
// the load assignments recomputed for another of them, which this proxy
// would compute equal (a load assignment depends on the cluster's name
// and the outbound input only), and takes those it computes. A nil shared
// shares nothing.
func EndpointsSharing(m *model.Model, p Proxy, clusters []*clusterv3.Cluster, prev []*endpointv3.ClusterLoadAssignment, unchanged func(host string) bool, shared map[string]*endpointv3.ClusterLoadAssignment) ([]*endpointv3.ClusterLoadAssignment, bool) {
	g := &generator{m: m, proxy: p, out: &Resources{}, gateways: p.gatewayNames(m)}
	out := make([]*endpointv3.ClusterLoadAssignment, 0, len(prev))
	for _, c := range clusters {
		if c.GetType() != clusterv3.Cluster_EDS {
			continue
		}
		// prev follows the same clusters: the next one is this cluster's
		// unless the cluster list moved under it.
		if h, i := AssignmentHost(c.Name), len(out); h != "" && i < len(prev) && prev[i].GetClusterName() == c.Name && unchanged(h) {
			out = append(out, prev[i])
			continue
		}
		if a, ok := shared[c.Name]; ok {
			out = append(out, a)
			continue
		}
		a, ok := g.assignmentFor(c)
		if !ok {
			return nil, false
		}
		if shared != nil {
			shared[c.Name] = a
		}
		out = append(out, a)
	}
	if slices.Equal(out, prev) {
		// Nothing of this proxy's changed: prev itself, which the xDS
		// builder recognises by its backing array and does not convert
		// again (with Sidecar scoping that is most groups of a change).
		return prev, true
	}
	return out, true
}

// AssignmentHost is the service host whose endpoints a cluster's load
// assignment follows ("" when it follows none sailplane knows).
func AssignmentHost(cluster string) string {
	if _, host, ok := names.ParseTelemetryCluster(cluster); ok {
		return host
	}
	if key, ok := names.ParseCluster(cluster); ok && key.Direction == names.Outbound {
		return key.Host
	}
	return ""
}
