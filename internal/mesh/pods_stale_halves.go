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
// changed since recorded; refreshing one recomputes exactly those.

// staleHalf is an outbound half whose load assignments were current for
// an earlier model; changed names the hosts whose service (endpoints,
// visibility) differs in the current one.
type staleHalf struct {
	half    *xds.Resources
	changed map[string]bool
}

// maxStaleChanges bounds how far a stale half may fall behind: once more
// hosts than this changed since it was current, it is dropped and
// translated again when needed.
const maxStaleChanges = 256

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
func staleHalves(old *translations, changed map[string]bool) map[string]staleHalf {
	out := make(map[string]staleHalf, len(old.outbound)+len(old.stale))
	for k, h := range old.outbound {
		out[k] = staleHalf{half: h, changed: changed}
	}
	for k, s := range old.stale {
		if _, ok := out[k]; ok {
			continue
		}
		if u := unionHosts(s.changed, changed); len(u) <= maxStaleChanges {
			out[k] = staleHalf{half: s.half, changed: u}
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
// is the half's): the half with its load assignments recomputed for the
// changed hosts, the rest kept by pointer. False when an assignment
// cannot be computed; the half is then translated.
func (t *translations) refreshed(s staleHalf, p xds.Proxy) (*xds.Resources, bool) {
	eps, ok := xds.EndpointsSharing(t.m, p, s.half.Clusters, s.half.Endpoints, func(h string) bool { return !s.changed[h] }, nil)
	if !ok {
		return nil, false
	}
	r := *s.half
	r.Endpoints = eps
	return &r, true
}

// withoutHosts are the halves none of whose clusters is for one of hosts:
// a cluster verifies its service's identities, so a half with a cluster
// for a host whose identities changed is translated again, not refreshed.
// halves is the caller's own (staleHalves made it) and is edited in place.
func withoutHosts(halves map[string]staleHalf, hosts map[string]bool) map[string]staleHalf {
	if len(hosts) == 0 {
		return halves
	}
	for k, h := range halves {
		if namesAnyHost(h.half.Clusters, hosts) {
			delete(halves, k)
		}
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
