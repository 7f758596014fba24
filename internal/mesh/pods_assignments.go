package mesh

import (
	"slices"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/sailplane/sailplane/internal/listid"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
)

// sharedAssignments shares the pod path's load assignment work among the
// groups of one outbound input (xds.OutboundKey), which get equal load
// assignments for equal clusters: what EndpointsReusing gives depends on
// the model, the outbound input, the names of the EDS clusters in order
// and the previous assignments, which are the previous model's for those
// names in every group (each group's resources equal a full
// translation). Groups differ in inbound clusters (not EDS), so a group
// whose previous assignments name the first group's clusters, in order,
// takes the first one's result. Names, not pointers: a group translated
// anew (its pods came back under new names) holds assignments equal to
// the others' but not the same, and compared by pointer it recomputed its
// own on every later change, never sharing again (a tenth of the groups
// after a churn round at the reference mesh, each walking its 1635).
type sharedAssignments map[string]*outboundAssignments

type outboundAssignments struct {
	// byName are the assignments recomputed for any group, by cluster.
	byName map[string]*endpointv3.ClusterLoadAssignment
	// prev and next are the first group's previous and new lists.
	prev, next []*endpointv3.ClusterLoadAssignment
}

// assignments are the group's new load assignments (before is its
// previous resources; aligned is alignedEDS of its lists, hosts gives
// what its EDS clusters follow, asked only when the list is not shared).
func (s sharedAssignments) assignments(m *model.Model, p xds.Proxy, before *xds.Resources, aligned bool, hosts func() clusterHosts, unchanged func(string) bool) ([]*endpointv3.ClusterLoadAssignment, bool) {
	key := xds.OutboundKey(m, p)
	o := s[key]
	if o == nil {
		o = &outboundAssignments{byName: map[string]*endpointv3.ClusterLoadAssignment{}}
		s[key] = o
	}
	if aligned && o.prev != nil && sameNames(o.prev, before.Endpoints) {
		return o.next, true
	}
	// Every assignment in place and of an unchanged host: EndpointsSharing
	// would return before's list, after parsing every cluster's name.
	next, ok := before.Endpoints, true
	if !aligned || !hosts().unchanged(unchanged) {
		next, ok = xds.EndpointsSharing(m, p, before.Clusters, before.Endpoints, unchanged, o.byName)
	}
	if ok && aligned && o.prev == nil {
		o.prev, o.next = before.Endpoints, next
	}
	return next, ok
}

// sameNames reports whether two assignment lists name the same clusters
// in the same order (the same assignment is the same name).
func sameNames(a, b []*endpointv3.ClusterLoadAssignment) bool {
	return slices.EqualFunc(a, b, func(x, y *endpointv3.ClusterLoadAssignment) bool {
		return x == y || x.GetClusterName() == y.GetClusterName()
	})
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

// clusterList identifies a group's cluster list, which a pods change keeps.
type clusterList = listid.ID[*clusterv3.Cluster]

// clusterHosts are the hosts the load assignments of a cluster list's EDS
// clusters follow; known says every one of them follows a host.
type clusterHosts struct {
	hosts []string
	known bool
}

// unchanged reports whether every cluster follows a host unchanged says is.
func (h clusterHosts) unchanged(unchanged func(string) bool) bool {
	if !h.known {
		return false
	}
	for _, host := range h.hosts {
		if !unchanged(host) {
			return false
		}
	}
	return true
}

// edsHostsOf is clusters' hosts, from t or old when either has the list.
func (t *translations) edsHostsOf(old *translations, clusters []*clusterv3.Cluster) clusterHosts {
	if len(clusters) == 0 {
		return clusterHosts{known: true}
	}
	k := listid.Of(clusters)
	if h, ok := t.edsHosts[k]; ok {
		return h
	}
	h, ok := old.edsHosts[k]
	if !ok {
		h = edsHostsIn(clusters)
	}
	t.edsHosts[k] = h
	return h
}

func edsHostsIn(clusters []*clusterv3.Cluster) clusterHosts {
	h := clusterHosts{known: true}
	seen := map[string]bool{}
	for _, c := range clusters {
		if c.GetType() != clusterv3.Cluster_EDS {
			continue
		}
		host := xds.AssignmentHost(c.Name)
		if host == "" {
			h.known = false
			continue
		}
		if !seen[host] {
			seen[host] = true
			h.hosts = append(h.hosts, host)
		}
	}
	return h
}
