package mesh

import (
	"fmt"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// hostsNamed are n hosts h0..h(n-1) of namespace a.
func hostsNamed(from, n int) map[string]bool {
	out := map[string]bool{}
	for i := from; i < from+n; i++ {
		out[fmt.Sprintf("h%d.a.svc.cluster.local", i)] = true
	}
	return out
}

// halfFor is an outbound half with a cluster for each host.
func halfFor(hosts map[string]bool) *xds.Resources {
	r := &xds.Resources{}
	for h := range hosts {
		r.Clusters = append(r.Clusters, &clusterv3.Cluster{Name: names.OutboundCluster(80, "", h)})
	}
	return r
}

// The bound is half the mesh's services, never under 256: a churn round
// at the reference mesh (1000 services) changes ~190 twice over, which
// must stay within it, and a small mesh keeps the old 256.
func TestStaleBoundFollowsTheMesh(t *testing.T) {
	for _, c := range []struct{ services, want int }{{10, 256}, {512, 256}, {1000, 500}, {4000, 2000}} {
		m := &model.Model{Services: map[string]*model.Service{}}
		for h := range hostsNamed(0, c.services) {
			m.Services[h] = &model.Service{Hostname: h}
		}
		if got := staleBound(m); got != c.want {
			t.Errorf("%d services: bound %d, want %d", c.services, got, c.want)
		}
	}
}

// A stale half is kept while the hosts changed since it was current stay
// within the bound, counting what it had recorded, and dropped past it;
// a half the last memo translated is always kept.
func TestStaleHalvesDropPastTheBound(t *testing.T) {
	const bound = 300
	old := newTranslations(nil)
	old.outbound["fresh"] = &xds.Resources{}
	old.stale = map[string]staleHalf{
		"near": {half: &xds.Resources{}, changed: hostsNamed(0, 100)},
		"far":  {half: &xds.Resources{}, changed: hostsNamed(1000, 250)},
	}
	got := staleHalves(old, hostsNamed(0, 190), bound)
	if _, ok := got["fresh"]; !ok {
		t.Error("the last memo's own half was dropped")
	}
	if s, ok := got["near"]; !ok || len(s.changed) != 190 {
		t.Errorf("a half 190 hosts behind (100 of them recorded already) must be kept with 190 recorded: %v %d", ok, len(s.changed))
	}
	if _, ok := got["far"]; ok {
		t.Error("a half 440 hosts behind was kept past a bound of 300")
	}
}

// Identity changes are recorded only in halves with a cluster for one of
// the hosts, and count against the bound apart from other changes.
func TestWithIdentitiesRecordsAndBounds(t *testing.T) {
	const bound = 300
	ids := hostsNamed(0, 200)
	halves := map[string]staleHalf{
		"names them":   {half: halfFor(hostsNamed(150, 10))},
		"names others": {half: halfFor(hostsNamed(500, 10))},
		"full":         {half: halfFor(hostsNamed(0, 1)), identities: hostsNamed(1000, 150)},
	}
	got := withIdentities(halves, ids, bound)
	if s := got["names them"]; len(s.identities) != 200 {
		t.Errorf("a half with clusters for changed hosts recorded %d identities, want 200", len(s.identities))
	}
	if s, ok := got["names others"]; !ok || len(s.identities) != 0 {
		t.Errorf("a half without such clusters must be kept as it is: %v %d", ok, len(s.identities))
	}
	if _, ok := got["full"]; ok {
		t.Error("a half with 350 recorded identities was kept past a bound of 300")
	}
}
