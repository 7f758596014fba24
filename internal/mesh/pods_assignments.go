package mesh

import (
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
)

// sharedAssignments shares the pod path's load assignment work among the
// groups of one outbound input (xds.OutboundKey), which get equal load
// assignments for equal clusters: what EndpointsReusing gives depends on
// the model, the outbound input, the names of the EDS clusters in order
// and the previous assignments. Groups differ in inbound clusters (not
// EDS), so most of one namespace's groups hold the very same previous
// list, and take the first one's result after a pointer comparison.
type sharedAssignments map[string]*outboundAssignments

type outboundAssignments struct {
	// byName are the assignments recomputed for any group, by cluster.
	byName map[string]*endpointv3.ClusterLoadAssignment
	// prev and next are the first group's previous and new lists.
	prev, next []*endpointv3.ClusterLoadAssignment
}

// assignments are the group's new load assignments (before is its
// previous resources).
func (s sharedAssignments) assignments(m *model.Model, p xds.Proxy, before *xds.Resources, unchanged func(string) bool) ([]*endpointv3.ClusterLoadAssignment, bool) {
	key := xds.OutboundKey(m, p)
	o := s[key]
	if o == nil {
		o = &outboundAssignments{byName: map[string]*endpointv3.ClusterLoadAssignment{}}
		s[key] = o
	}
	aligned := alignedEDS(before.Clusters, before.Endpoints)
	if aligned && o.prev != nil && slices.Equal(o.prev, before.Endpoints) {
		return o.next, true
	}
	next, ok := xds.EndpointsSharing(m, p, before.Clusters, before.Endpoints, unchanged, o.byName)
	if ok && aligned && o.prev == nil {
		o.prev, o.next = before.Endpoints, next
	}
	return next, ok
}

// alignedEDS reports whether the EDS clusters are, in order, the clusters
// the assignments name: then equal assignment lists mean equal EDS
// cluster names.
func alignedEDS(clusters []*clusterv3.Cluster, eps []*endpointv3.ClusterLoadAssignment) bool {
	i := 0
	for _, c := range clusters {
		if c.GetType() != clusterv3.Cluster_EDS {
			continue
		}
		if i >= len(eps) || eps[i].GetClusterName() != c.Name {
			return false
		}
		i++
	}
	return i == len(eps)
}
