package mesh_test

import (
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

const localityMesh = `
apiVersion: v1
kind: Pod
metadata: {name: client-a1, namespace: geo, labels: {app: client}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: client-a2, namespace: geo, labels: {app: client}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: client-b, namespace: geo, labels: {app: client}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.0.0.3}
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: geo}
spec: {clusterIP: 10.96.0.1, selector: {app: ratings}, ports: [{name: http, port: 9080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ratings-1, namespace: geo, labels: {kubernetes.io/service-name: ratings}}
addressType: IPv4
ports: [{name: http, port: 9080}]
endpoints:
- {addresses: [10.1.0.1], zone: zone-a}
- {addresses: [10.1.0.2], zone: zone-b}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings, namespace: geo}
spec: {host: ratings, trafficPolicy: {outlierDetection: {consecutive5xxErrors: 3}}}
`

// clientSlice gives the clients their zones (a Service selecting them).
const clientSlice = `
---
apiVersion: v1
kind: Service
metadata: {name: client, namespace: geo}
spec: {clusterIP: 10.96.0.2, selector: {app: client}, ports: [{name: http, port: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: client-1, namespace: geo, labels: {kubernetes.io/service-name: client}}
addressType: IPv4
ports: [{name: http, port: 8080}]
endpoints:
- {addresses: [10.0.0.1], zone: zone-a, targetRef: {kind: Pod, name: client-a1, namespace: geo}}
- {addresses: [10.0.0.2], zone: zone-a, targetRef: {kind: Pod, name: client-a2, namespace: geo}}
- {addresses: [10.0.0.3], zone: zone-b, targetRef: {kind: Pod, name: client-b, namespace: geo}}
`

func localityBundle(t *testing.T, docs string) *bundle.Bundle {
	t.Helper()
	b := &bundle.Bundle{}
	if _, err := b.Decode("mesh.yaml", strings.NewReader(docs)); err != nil {
		t.Fatal(err)
	}
	return b
}

func localityNodes() []mesh.Node {
	var out []mesh.Node
	for i, pod := range []string{"client-a1", "client-a2", "client-b"} {
		ip := "10.0.0." + string(rune('1'+i))
		out = append(out, mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: ip, Pod: pod, Namespace: "geo", Domain: defaults.DomainSuffix})})
	}
	return out
}

// nearest is the address at priority 0 of the ratings cluster.
func nearest(t *testing.T, r *xds.Resources) string {
	t.Helper()
	var got []string
	for _, cla := range r.Endpoints {
		if cla.ClusterName != "outbound|9080||ratings.geo.svc.cluster.local" {
			continue
		}
		for _, l := range cla.Endpoints {
			if l.Priority == 0 {
				for _, e := range l.LbEndpoints {
					got = append(got, e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress())
				}
			}
		}
	}
	return strings.Join(got, ",")
}

// Replicas of one Deployment in different zones must not share a
// translation once a DestinationRule makes endpoints depend on locality;
// replicas in one zone still do.
func TestComputeGroupsByLocality(t *testing.T) {
	nodes := localityNodes()
	res := mesh.Compute(localityBundle(t, localityMesh+clientSlice), nodes)
	a1, a2, b := res.Resources[nodes[0].ID], res.Resources[nodes[1].ID], res.Resources[nodes[2].ID]
	if a1 != a2 {
		t.Errorf("replicas in one zone do not share their resources")
	}
	if got := nearest(t, a1); got != "10.1.0.1" {
		t.Errorf("zone-a client's nearest ratings endpoint %q, want 10.1.0.1", got)
	}
	if got := nearest(t, b); got != "10.1.0.2" {
		t.Errorf("zone-b client's nearest ratings endpoint %q, want 10.1.0.2", got)
	}
}

// A pod's zone often first appears with its EndpointSlice, after its proxy
// connected: the endpoint-only fast path must then split the group.
func TestComputeEndpointsSplitsGroupWhenZonesAppear(t *testing.T) {
	nodes := localityNodes()
	first := mesh.Compute(localityBundle(t, localityMesh), nodes)
	if first.Resources[nodes[0].ID] != first.Resources[nodes[2].ID] {
		t.Fatalf("clients of unknown locality should share one translation")
	}
	next, ok := mesh.ComputeEndpoints(localityBundle(t, localityMesh+clientSlice), nodes, first.Resources)
	if !ok {
		t.Fatalf("fast path refused an endpoint-only change")
	}
	if got := nearest(t, next.Resources[nodes[0].ID]); got != "10.1.0.1" {
		t.Errorf("zone-a client's nearest %q, want 10.1.0.1", got)
	}
	if got := nearest(t, next.Resources[nodes[2].ID]); got != "10.1.0.2" {
		t.Errorf("zone-b client's nearest %q, want 10.1.0.2", got)
	}
}

// The locality a proxy announces in its node wins over its pod's, as in
// istiod, when it names a region.
func TestAnnouncedLocalityWins(t *testing.T) {
	nodes := localityNodes()
	nodes[0].Locality = "us-east/zone-b"
	res := mesh.Compute(localityBundle(t, localityMesh+clientSlice), nodes)
	p, ok := mesh.ProxyFor(res.Model, nodes[0])
	if !ok || p.Locality != "us-east/zone-b" {
		t.Errorf("announced locality: got %q (%v), want us-east/zone-b", p.Locality, ok)
	}
	nodes[0].Locality = "/zone-b" // no region: the pod's own counts
	if p, _ := mesh.ProxyFor(res.Model, nodes[0]); p.Locality != "/zone-a" {
		t.Errorf("announced zone without region: got %q, want the pod's /zone-a", p.Locality)
	}
}

// Without a rule that depends on locality, zones do not split groups.
func TestZonesShareGroupsWithoutLocalityRules(t *testing.T) {
	nodes := localityNodes()
	docs := strings.Replace(localityMesh+clientSlice, "trafficPolicy: {outlierDetection: {consecutive5xxErrors: 3}}", "trafficPolicy: {loadBalancer: {simple: RANDOM}}", 1)
	res := mesh.Compute(localityBundle(t, docs), nodes)
	if res.Resources[nodes[0].ID] != res.Resources[nodes[2].ID] || res.Groups != 1 {
		t.Errorf("clients in zone-a and zone-b were translated apart (%d groups) though no rule depends on locality", res.Groups)
	}
}
