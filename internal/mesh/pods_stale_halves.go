package mesh

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// A pod that comes back under a new name (a Deployment's pods do) is a
// workload the previous memo did not translate, so its group is
// translated in full, outbound half included, although that half depends
// on pods only through its load assignments (see ComputePodsSince). At the
// reference mesh a churn round translated every namespace's outbound half
// again (a full reconcile's worth of route tables and clusters, twice in
// memory while the old ones were still served). Instead the pod path and
// the joins after it keep the halves earlier memos translated, as stale
// halves: their listeners, routes and clusters are current, their load
// assignments as of an earlier model, with the hosts whose services
// changed since recorded; refreshing one recomputes exactly those. A host
// whose identities changed (its clusters verify them) is recorded too, and
// its clusters are translated again on refresh, as identityUpdates do for
// the groups: a churn round deletes pods (a service's identities go) and
// recreates them (they come back), and dropping every half naming such a
// host had the recreated pods' groups translate their halves in full.

// staleHalf is an outbound half whose load assignments were current for
// an earlier model; changed names the hosts whose service (endpoints,
// visibility) differs in the current one.
type staleHalf struct {
	half    *xds.Resources
	changed map[string]bool
	// identities are hosts whose identities changed since the half was
	// translated, among those it has a cluster for.
	identities map[string]bool
}

// staleBound bounds how far a stale half may fall behind: once more hosts
// than this changed since it was current (or changed identities), it is
// dropped and translated again when needed. Refreshing costs in
// proportion to the hosts changed, translating to all of them, so the
// bound is half the mesh's services (at least 256): a churn round of 200
// pods at the reference mesh changes some 190 services twice over
// (deleted, then back), and a fixed 256 had every half dropped and
// translated in full by the second reconcile.
func staleBound(m *model.Model) int { return max(256, len(m.Services)/2) }

// changedHosts are the hosts whose service differs between prev and m
// (as unchangedSince judges), or that only one of them has.
func changedHosts(prev, m *model.Model) map[string]bool {
	same := unchangedSince(prev, m)
	out := map[string]bool{}
	for host := range m.Services {
		if !same(host) {
			out[host] = true
		}
	}
	for host := range prev.Services {
		if m.Services[host] == nil {
			out[host] = true
		}
	}
	return out
}

// staleHalves are old's halves for a model in which changed hosts
// differ: those old translated or refreshed, and those it kept stale
// itself, still within bounds.
func staleHalves(old *translations, changed map[string]bool, bound int) map[string]staleHalf {
	out := make(map[string]staleHalf, len(old.outbound)+len(old.stale))
	for k, h := range old.outbound {
		out[k] = staleHalf{half: h, changed: changed}
	}
	for k, s := range old.stale {
		if _, ok := out[k]; ok {
			continue
		}
		if u := unionHosts(s.changed, changed); len(u) <= bound {
			out[k] = staleHalf{half: s.half, changed: u, identities: s.identities}
		}
	}
	return out
}

func unionHosts(a, b map[string]bool) map[string]bool {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	u := make(map[string]bool, len(a)+len(b))
	for h := range a {
		u[h] = true
	}
	for h := range b {
		u[h] = true
	}
	return u
}

// refreshed is a stale half made current for proxy p (whose outbound key
// is the half's): the clusters of the hosts whose identities changed
// translated again, then the load assignments recomputed for the changed
// hosts, the rest kept by pointer. False when an assignment cannot be
// computed or the update does not fit the half; the half is then
// translated.
func (t *translations) refreshed(s staleHalf, p xds.Proxy) (*xds.Resources, bool) {
	half := s.half
	if len(s.identities) > 0 {
		h, ok := xds.OutboundIdentitiesUpdate(t.m, p, half, s.identities).ApplyToHalf(half)
		if !ok {
			return nil, false
		}
		// The model besides pods is the half's, and so are its problems
		// (ApplyToHalf leaves them to the caller).
		h.Problems = half.Problems
		half = h
	}
	stale := func(h string) bool { return s.changed[h] || s.identities[h] }
	eps, ok := xds.EndpointsSharing(t.m, p, half.Clusters, half.Endpoints, func(h string) bool { return !stale(h) }, nil)
	if !ok {
		return nil, false
	}
	r := *half
	r.Endpoints = eps
	return &r, true
}

// withIdentities records, in each half with a cluster for one of hosts,
// that their identities changed; a half past the bound is dropped.
// halves is the caller's own (staleHalves made it) and is edited in place.
func withIdentities(halves map[string]staleHalf, hosts map[string]bool, bound int) map[string]staleHalf {
	if len(hosts) == 0 {
		return halves
	}
	for k, h := range halves {
		if !namesAnyHost(h.half.Clusters, hosts) {
			continue
		}
		if h.identities = unionHosts(h.identities, hosts); len(h.identities) > bound {
			delete(halves, k)
			continue
		}
		halves[k] = h
	}
	return halves
}

// namesAnyHost reports whether a cluster of the list is for one of hosts.
func namesAnyHost(clusters []*clusterv3.Cluster, hosts map[string]bool) bool {
	if len(hosts) == 0 {
		return false
	}
	for _, c := range clusters {
		if k, ok := names.ParseCluster(c.Name); ok && hosts[k.Host] {
			return true
		}
	}
	return false
}
