package translate

import (
	"path/filepath"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// TestEndpointsReusingMatchesFullTranslation checks, for every golden case
// with an Envoy sidecar (proxyless nodes are translated in full on an
// endpoint change, their TLS depends on the endpoints) and every host it
// has load assignments for, that
// recomputing only that host's (the others taken from the previous
// result) gives exactly the full translation: the previous assignments of
// the changed host are stale placeholders, so they must be recomputed,
// and every other assignment must be the previous one by pointer.
func TestEndpointsReusingMatchesFullTranslation(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	checked := 0
	for _, in := range cases {
		res := runCase(t, in)
		if res.Proxy.Type != names.Sidecar || header(t, in).generator != "" {
			continue
		}
		full := res.Resources.Endpoints
		hosts := map[string]bool{}
		for _, cla := range full {
			if h := xds.AssignmentHost(cla.ClusterName); h != "" {
				hosts[h] = true
			}
		}
		// Nothing changed: the previous list itself, which the snapshot
		// builder then recognises without converting it again.
		if got, ok := xds.EndpointsReusing(res.Model, res.Proxy, res.Resources.Clusters, full, func(string) bool { return true }); ok && len(full) > 0 && &got[0] != &full[0] {
			t.Errorf("%s: nothing changed, yet a new list of load assignments", in)
		}
		for host := range hosts {
			prev := make([]*endpointv3.ClusterLoadAssignment, len(full))
			for i, cla := range full {
				prev[i] = cla
				if xds.AssignmentHost(cla.ClusterName) == host {
					prev[i] = &endpointv3.ClusterLoadAssignment{ClusterName: cla.ClusterName} // stale
				}
			}
			got, ok := xds.EndpointsReusing(res.Model, res.Proxy, res.Resources.Clusters, prev, func(h string) bool { return h != host })
			if !ok {
				t.Errorf("%s: refused a sidecar's clusters", in)
				break
			}
			if len(got) != len(full) {
				t.Errorf("%s, %s changed: %d load assignments, full translation has %d", in, host, len(got), len(full))
				continue
			}
			for i := range got {
				h := xds.AssignmentHost(full[i].ClusterName)
				switch {
				case !proto.Equal(got[i], full[i]):
					t.Errorf("%s, %s changed: load assignment %s differs from the full translation's", in, host, full[i].ClusterName)
				case h != host && got[i] != prev[i]:
					t.Errorf("%s, %s changed: load assignment %s of an unchanged host was recomputed", in, host, full[i].ClusterName)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no golden case has a sidecar with load assignments")
	}
}
