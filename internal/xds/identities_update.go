package xds

import (
	"sort"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/sailplane/sailplane/internal/model"
)

// OutboundIdentitiesUpdate is OutboundRulesUpdate for a change of the
// touched hosts' identities alone (model.SameBesidesPods: their service
// accounts, nothing else of the model). Of a sidecar's outbound half only
// the clusters read a service's service accounts (the SANs an
// ISTIO_MUTUAL cluster verifies), so this translates the touched hosts'
// clusters and load assignments again and keeps before's route
// configurations and listeners by pointer. A rules update would rebuild
// every touched host's virtual hosts and listeners only to find them
// equal: with 200 pods churned at the reference mesh that was each
// outbound key's route table rebuilt for ~190 hosts, most of an identity
// update's cost. When a regenerated cluster is refused by validation, or
// is not one before held, routes could differ, and this is
// OutboundRulesUpdate.
func OutboundIdentitiesUpdate(m *model.Model, p Proxy, before *Resources, touched map[string]bool) *OutboundUpdate {
	if u, ok := identitiesUpdate(m, p, before, touched); ok {
		return u
	}
	return OutboundRulesUpdate(m, p, before, touched)
}

func identitiesUpdate(m *model.Model, p Proxy, before *Resources, touched map[string]bool) (*OutboundUpdate, bool) {
	g := &generator{m: m, proxy: p, out: &Resources{}}
	g.gateways = p.gatewayNames(m)
	for _, svc := range g.visibleServices() {
		if touched[svc.Hostname] {
			g.serviceClusters(svc)
		}
	}
	g.out.sort()
	built := len(g.out.Clusters)
	if g.out.Clusters = g.validClusters(g.out.Clusters); len(g.out.Clusters) != built {
		return nil, false
	}
	u := &OutboundUpdate{clustersOnly: true, Problems: g.out.Problems}
	for _, c := range g.out.Clusters {
		if !holds(before.Clusters, c.Name) {
			return nil, false
		}
		u.drop = append(u.drop, c.Name)
	}
	u.replaceWith(g.out, before)
	return u, true
}

// holds reports whether clusters, sorted by name, has one named name.
func holds(clusters []*clusterv3.Cluster, name string) bool {
	k := sort.Search(len(clusters), func(j int) bool { return clusters[j].Name >= name })
	return k < len(clusters) && clusters[k].Name == name
}
