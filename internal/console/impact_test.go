package console

import (
	"os"
	"strings"
	"testing"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/xds"
)

func bundleOf(t *testing.T, file string) *bundle.Bundle {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := &bundle.Bundle{}
	if _, err := b.Decode(file, f); err != nil {
		t.Fatal(err)
	}
	return b
}

// currentMesh is the reviews case with its two pods connected.
func currentMesh(t *testing.T) Mesh {
	b := bundleOf(t, "testdata/reviews.in.yaml")
	nodes := []mesh.Node{
		{ID: "sidecar~10.1.0.1~reviews-v1-a.bookinfo~bookinfo.svc.cluster.local"},
		{ID: "sidecar~10.1.0.2~reviews-v2-a.bookinfo~bookinfo.svc.cluster.local"},
	}
	return Mesh{Bundle: b, Nodes: nodes, Result: mesh.Compute(b, nodes)}
}

func preview(t *testing.T, cur Mesh, yaml string) Impact {
	t.Helper()
	imp, err := PreviewChange(cur, "change.yaml", strings.NewReader(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return imp
}

func TestImpactOfNothing(t *testing.T) {
	cur := currentMesh(t)
	imp := ComputeImpact(cur, &bundle.Bundle{})
	if len(imp.Changes) != 0 || imp.Unchanged != 2 || len(imp.Problems) != 0 {
		t.Errorf("an empty change: %+v", imp)
	}
}

const split = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: bookinfo}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v1}, weight: 50}
    - {destination: {host: reviews, subset: v2}, weight: 50}
`

// An EndpointSlice listing only reviews-v1-a: subset v2 and the whole
// service lose reviews-v2-a, subset v1 keeps what it had.
const slice = `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-abc, namespace: bookinfo, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints:
- addresses: [10.1.0.1]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: reviews-v1-a, namespace: bookinfo}
`

func TestImpactNamesProxiesAndResources(t *testing.T) {
	cur := currentMesh(t)
	const host = "reviews.bookinfo.svc.cluster.local"
	both := []string{"reviews-v1-a.bookinfo", "reviews-v2-a.bookinfo"}
	for _, tc := range []struct {
		name, yaml string
		want       []ResourceChange // names and kinds; bytes checked apart
	}{
		{"weights", split, []ResourceChange{{Type: "RDS", Name: "9080", Change: Changed}}},
		{"endpoints", slice, []ResourceChange{
			{Type: "EDS", Name: "outbound|9080|v2|" + host, Change: Changed},
			{Type: "EDS", Name: "outbound|9080||" + host, Change: Changed},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imp := preview(t, cur, tc.yaml)
			if len(imp.Changes) != 1 || strings.Join(imp.Changes[0].Proxies, ",") != strings.Join(both, ",") {
				t.Fatalf("changes = %+v, want one group of %v", imp.Changes, both)
			}
			got := imp.Changes[0]
			if len(got.Resources) != len(tc.want) {
				t.Fatalf("resources = %+v, want %+v", got.Resources, tc.want)
			}
			sum := 0
			for i, w := range tc.want {
				r := got.Resources[i]
				if r.Type != w.Type || r.Name != w.Name || r.Change != w.Change || r.Bytes <= 0 {
					t.Errorf("resource %d = %+v, want %+v with its size", i, r, w)
				}
				sum += r.Bytes
			}
			if got.Bytes != sum {
				t.Errorf("bytes %d, want the changed resources' %d", got.Bytes, sum)
			}
			checkAgainstFullTranslation(t, cur, tc.yaml, got.Resources)
		})
	}
}

// checkAgainstFullTranslation translates the changed inputs in full and
// compares every resource of the first proxy with proto.Equal: the ones
// that differ must be exactly the ones listed.
func checkAgainstFullTranslation(t *testing.T, cur Mesh, yaml string, listed []ResourceChange) {
	t.Helper()
	change := &bundle.Bundle{}
	if _, err := change.Decode("change.yaml", strings.NewReader(yaml)); err != nil {
		t.Fatal(err)
	}
	after := mesh.Compute(Merge(cur.Bundle, change), cur.Nodes)
	id := cur.Nodes[0].ID
	want := map[string]bool{}
	for _, r := range listed {
		want[r.Type+" "+r.Name] = true
	}
	before, now := byTypeAndName(cur.Result.Resources[id]), byTypeAndName(after.Resources[id])
	for k, m := range now {
		old, ok := before[k]
		differs := !ok || !proto.Equal(old, m)
		if differs != want[k] {
			t.Errorf("%s: differs in a full translation: %v; listed: %v", k, differs, !differs)
		}
	}
}

// byTypeAndName is a proxy's resources keyed "TYPE name", independently
// of the preview's own walk.
func byTypeAndName(r *xds.Resources) map[string]proto.Message {
	out := map[string]proto.Message{}
	if r == nil {
		return out
	}
	for _, c := range r.Clusters {
		out["CDS "+c.Name] = c
	}
	for _, e := range r.Endpoints {
		out["EDS "+e.ClusterName] = e
	}
	for _, l := range r.Listeners {
		out["LDS "+l.Name] = l
	}
	for _, rc := range r.Routes {
		out["RDS "+rc.Name] = rc
	}
	for _, s := range r.Secrets {
		out["SDS "+s.Name] = s
	}
	return out
}

// A node that subscribed to other route names is not touched by a change
// to a route configuration it never asked for.
func TestImpactOnlyCountsSubscribedNames(t *testing.T) {
	cur := currentMesh(t)
	cur.Subscribed = map[string]map[string][]string{cur.Nodes[0].ID: {resource.RouteType: {"other:80"}}}
	imp := preview(t, cur, split)
	if imp.Unchanged != 1 || len(imp.Changes) != 1 || strings.Join(imp.Changes[0].Proxies, ",") != "reviews-v2-a.bookinfo" {
		t.Errorf("impact = %+v, want only reviews-v2-a (reviews-v1-a asked for route other:80 only)", imp)
	}
}

func TestImpactReportsNewProblems(t *testing.T) {
	imp := preview(t, currentMesh(t), `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: bookinfo}
spec:
  hosts: [reviews]
  http:
  - route:
    - {destination: {host: reviews, subset: v3}}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua, namespace: bookinfo}
spec: {}
`)
	if len(imp.Problems) != 1 || !strings.Contains(imp.Problems[0], "VirtualService bookinfo/reviews") || !strings.Contains(imp.Problems[0], `"v3"`) {
		t.Errorf("problems = %q, want the missing subset v3 of VirtualService bookinfo/reviews only (not the ones that exist already)", imp.Problems)
	}
	if len(imp.Unsupported) != 1 || !strings.Contains(imp.Unsupported[0], "EnvoyFilter") {
		t.Errorf("unsupported = %q", imp.Unsupported)
	}
}
