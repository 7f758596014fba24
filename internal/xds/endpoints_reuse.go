package xds

import (
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
	out := make([]*endpointv3.ClusterLoadAssignment, 0, len(prev))
	for _, c := range clusters {
		if c.GetType() != clusterv3.Cluster_EDS {
			continue
		}
		key, ok := names.ParseCluster(c.Name)
		if !ok || key.Direction != names.Outbound {
			return nil, false
		}
		// prev follows the same clusters: the next one is this cluster's
		// unless the cluster list moved under it.
		if i := len(out); i < len(prev) && prev[i].GetClusterName() == c.Name && unchanged(key.Host) {
			out = append(out, prev[i])
			continue
		}
		eps, plan := subsetEndpoints(m, p, key)
		out = append(out, localityAssignment(c.Name, eps, plan, p))
	}
	return out, true
}
