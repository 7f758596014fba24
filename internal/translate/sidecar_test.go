package translate

import (
	"testing"

	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// TestSidecarScopeSimulation sends requests and connections through the
// configuration of the Sidecar golden cases: a host in scope reaches its
// cluster; one outside scope is traffic to an unknown host, forwarded to
// PassthroughCluster under ALLOW_ANY and dropped (BlackHoleCluster, 502
// for HTTP) under REGISTRY_ONLY.
func TestSidecarScopeSimulation(t *testing.T) {
	const (
		reviews = "outbound|9080||reviews.default.svc.cluster.local"
		ratings = "outbound|9080||ratings.default.svc.cluster.local"
		goods   = "outbound|8000||goods.shop.svc.cluster.local"
	)
	for _, tc := range []struct {
		name, file string
		// authority set: an HTTP request on port; else a TCP connection
		// to address:port.
		authority, address string
		port               uint32
		want               map[string]uint32
		status             uint32
	}{
		{"in scope", "sidecar-namespace", "reviews:9080", "", 9080, map[string]uint32{reviews: 0}, 0},
		{"other namespace, allow_any", "sidecar-namespace", "goods.shop.svc.cluster.local:9080", "", 9080, map[string]uint32{"PassthroughCluster": 0}, 0},
		{"other namespace's port, passthrough", "sidecar-namespace", "", "10.96.1.10", 8000, map[string]uint32{"PassthroughCluster": 0}, 0},
		{"selector Sidecar's host", "sidecar-selector", "goods.shop:8000", "", 8000, map[string]uint32{goods: 0}, 0},
		{"selector Sidecar beats namespace's", "sidecar-selector", "ratings:9080", "", 9080, nil, 502},
		{"registry only, TCP", "sidecar-selector", "", "10.96.0.14", 3306, map[string]uint32{"BlackHoleCluster": 0}, 0},
		{"nothing in scope", "sidecar-none", "", "10.96.0.11", 9080, map[string]uint32{"BlackHoleCluster": 0}, 0},
		{"root default, own namespace", "sidecar-root-default", "goods:8000", "", 8000, map[string]uint32{goods: 0}, 0},
		{"root default, other namespace", "sidecar-root-default", "", "10.96.0.11", 9080, map[string]uint32{"PassthroughCluster": 0}, 0},
		{"VirtualService destinations join scope", "sidecar-virtualservices", "ratings:9080", "", 9080, map[string]uint32{ratings: 90, goods: 10}, 0},
		{"VirtualService selected by an external host", "sidecar-virtualservices", "api.example.com", "", 9080, map[string]uint32{reviews: 0}, 0},
		{"VirtualService host not listed", "sidecar-virtualservices", "other.example.org", "", 9080, map[string]uint32{"PassthroughCluster": 0}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCase(t, "testdata/"+tc.file+".in.yaml")
			if tc.authority == "" {
				got, err := simulate.Captured(res.Resources, simulate.Conn{Address: tc.address, Port: tc.port})
				if err != nil {
					t.Fatal(err)
				}
				if !sameWeights(got.Clusters, tc.want) {
					t.Errorf("connection to %s:%d went to %v (listener %s), want %v", tc.address, tc.port, got.Clusters, got.Listener, tc.want)
				}
				return
			}
			got, err := simulate.HTTP(res.Resources, simulate.Request{Authority: tc.authority, Port: tc.port, Method: "GET", Path: "/"})
			if err != nil {
				t.Fatal(err)
			}
			if got.DirectStatus != tc.status || tc.status == 0 && !sameWeights(got.Clusters, tc.want) {
				t.Errorf("request to %s went to %v status %d (route %q in %s), want %v status %d",
					tc.authority, got.Clusters, got.DirectStatus, got.Route, got.VirtualHost, tc.want, tc.status)
			}
		})
	}
}
