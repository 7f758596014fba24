package translate

import (
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// TestEndpointsOnlyMatchesFullTranslation checks, for every golden case
// with a sidecar proxy (not a proxyless client), that recomputing just the load assignments gives
// exactly what the full translation gave: the endpoint-only fast path must
// never drift from it.
func TestEndpointsOnlyMatchesFullTranslation(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	for _, in := range cases {
		if header(t, in).generator != "" {
			continue // mesh.ComputeEndpoints never takes proxyless clients
		}
		res := runCase(t, in)
		if res.Proxy.Type != names.Sidecar {
			continue
		}
		got, ok := xds.EndpointsFor(res.Model, res.Proxy, res.Resources.Clusters)
		if !ok {
			t.Errorf("%s: endpoint-only path refused a sidecar's clusters", in)
			continue
		}
		if len(got) != len(res.Resources.Endpoints) {
			t.Errorf("%s: %d load assignments, full translation has %d", in, len(got), len(res.Resources.Endpoints))
			continue
		}
		for i := range got {
			if !proto.Equal(got[i], res.Resources.Endpoints[i]) {
				t.Errorf("%s: load assignment %s differs from the full translation's", in, got[i].ClusterName)
			}
		}
	}
}
