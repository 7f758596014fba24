package mesh_test

import (
	"testing"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/mesh"
)

// scopedRoutesMesh: scoped-1 and open in namespace app; scoped-1's Sidecar
// lists only app's hosts. Two VirtualServices bind host near: the older
// one routes to near itself and is what sidecars use; the newer one
// conflicts, but its destination still joins scoped-1's Sidecar scope (as
// Istio infers it), and with it that host's cluster.
const scopedRoutesMesh = `
apiVersion: v1
kind: Pod
metadata: {name: scoped-1, namespace: app, labels: {app: client, scope: local}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: scoped-2, namespace: app, labels: {app: client}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Service
metadata: {name: near, namespace: app}
spec: {clusterIP: 10.96.0.1, selector: {app: near}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: far, namespace: elsewhere}
spec: {clusterIP: 10.96.0.2, selector: {app: far}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: elsewhere}
spec: {clusterIP: 10.96.0.3, selector: {app: other}, ports: [{name: http, port: 9080}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: local, namespace: app}
spec:
  workloadSelector: {labels: {scope: local}}
  egress: [{hosts: ["./*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: first, namespace: app, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: [near]
  http: [{route: [{destination: {host: near}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: second, namespace: app, creationTimestamp: "2024-02-01T00:00:00Z"}
spec:
  hosts: [near]
  http: [{route: [{destination: {host: far.elsewhere.svc.cluster.local}}]}]
`

// Moving the conflicting VirtualService's destination changes scoped-1's
// Sidecar scope and so its clusters (and the default virtual hosts of the
// hosts in scope, which the referenced-cluster check sees too): the
// routes-only path must decline. A timeout on the rule sidecars use must
// take it and equal the full translation.
func TestRoutesOnlyDeclinesAScopeChange(t *testing.T) {
	nodes := sidecarNodes()[:2]
	nodes[1].ID = "sidecar~10.0.0.2~scoped-2.app~app.svc.cluster.local"
	b := localityBundle(t, scopedRoutesMesh)
	cur := mesh.Compute(b, nodes)
	if len(cur.Resources) != 2 {
		t.Fatalf("nodes configured: %d, want 2 (waiting: %v)", len(cur.Resources), cur.Waiting)
	}
	moved := localityBundle(t, scopedRoutesMesh)
	moved.VirtualServices[1].Spec.HTTP[0].Route[0].Destination.Host = "other.elsewhere.svc.cluster.local"
	full := mesh.Compute(moved, nodes)
	if clusterNames(full.Resources[nodes[0].ID]) == clusterNames(cur.Resources[nodes[0].ID]) {
		t.Fatal("the case does not change scoped-1's clusters")
	}
	if _, ok := mesh.ComputeRoutesSince(moved, nodes, cur.Resources, cur.Model); ok {
		t.Error("the routes-only path kept scoped-1's clusters though its Sidecar scope changed")
	}

	timed := localityBundle(t, scopedRoutesMesh)
	to := networkingv1.Timeout("7s")
	timed.VirtualServices[0].Spec.HTTP[0].Timeout = &to
	fast, ok := mesh.ComputeRoutesSince(timed, nodes, cur.Resources, cur.Model)
	if !ok {
		t.Fatal("the routes-only path declined a timeout")
	}
	full = mesh.Compute(timed, nodes)
	for _, n := range nodes {
		if !full.Resources[n.ID].Equal(fast.Resources[n.ID]) {
			t.Errorf("%s: the routes-only path differs from the full translation", n.ID)
		}
	}
}
