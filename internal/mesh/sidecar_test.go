package mesh_test

import (
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/test/bench"
)

// sidecarMesh has four clients in one namespace: scoped-1 and scoped-2
// (same labels) and scoped-3 (other labels) under a selector Sidecar that
// lists only their own namespace; open has no Sidecar. No rule selects
// sources by label, so without the Sidecar all four would share one
// outbound half.
const sidecarMesh = `
apiVersion: v1
kind: Pod
metadata: {name: scoped-1, namespace: app, labels: {app: client, scope: local}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: scoped-2, namespace: app, labels: {app: client, scope: local}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: scoped-3, namespace: app, labels: {app: other, scope: local}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.0.0.3}
---
apiVersion: v1
kind: Pod
metadata: {name: open, namespace: app, labels: {app: client}}
spec: {containers: [{name: app, image: app}]}
status: {podIP: 10.0.0.4}
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
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: local, namespace: app}
spec:
  workloadSelector: {labels: {scope: local}}
  egress: [{hosts: ["./*"]}]
`

func sidecarNodes() []mesh.Node {
	var out []mesh.Node
	for i, pod := range []string{"scoped-1", "scoped-2", "scoped-3", "open"} {
		ip := "10.0.0." + string(rune('1'+i))
		out = append(out, mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: ip, Pod: pod, Namespace: "app", Domain: defaults.DomainSuffix})})
	}
	return out
}

func clusterNames(r *xds.Resources) string {
	var out []string
	for _, c := range r.Clusters {
		if strings.HasPrefix(c.Name, "outbound|") {
			out = append(out, c.Name)
		}
	}
	return strings.Join(out, ",")
}

// The memoised outbound half is keyed on the Sidecar that applies: proxies
// under different Sidecars (or none) never share one, proxies under the
// same Sidecar still do, even when their labels differ.
func TestOutboundHalfKeyedOnSidecar(t *testing.T) {
	nodes := sidecarNodes()
	res := mesh.Compute(localityBundle(t, sidecarMesh), nodes)
	s1, s2, s3, open := res.Resources[nodes[0].ID], res.Resources[nodes[1].ID], res.Resources[nodes[2].ID], res.Resources[nodes[3].ID]
	const near, far = "outbound|9080||near.app.svc.cluster.local", "outbound|9080||far.elsewhere.svc.cluster.local"
	for _, tc := range []struct {
		name string
		r    *xds.Resources
		want string
	}{
		{"scoped-1", s1, near},
		{"scoped-3", s3, near},
		{"open", open, far + "," + near},
	} {
		if got := clusterNames(tc.r); got != tc.want {
			t.Errorf("%s: outbound clusters %s, want %s", tc.name, got, tc.want)
		}
	}
	if s1 != s2 {
		t.Errorf("replicas under one Sidecar do not share their resources")
	}
	if !sharesOutbound(s1, s3) {
		t.Errorf("proxies under one Sidecar with different labels (none a rule selects on) do not share the outbound half")
	}
	if sharesOutbound(s1, open) {
		t.Errorf("a proxy under a Sidecar shares its outbound half with one under none")
	}
}

// sharesOutbound reports whether a and b hold the very same outbound
// route configuration protos: Combine keeps the memoised half's pointers.
// (Clusters cannot tell: every half shares the outbound clusters that
// its DestinationRules make equal.)
func sharesOutbound(a, b *xds.Resources) bool {
	for _, ra := range a.Routes {
		for _, rb := range b.Routes {
			if rb == ra {
				return true
			}
		}
	}
	return false
}

// Under per-workload Sidecars (every service's pods call other services)
// Compute's shared halves must still give each proxy what translating it
// alone gives.
func TestComputeEqualsTranslatingEachProxyUnderSidecars(t *testing.T) {
	m := bench.NewMesh(bench.Spec{Services: 40, Namespaces: 4, Seed: 5, RuleShare: 0.4, Scoped: 4})
	b := m.Bundle()
	var nodes []mesh.Node
	for _, p := range m.Pods {
		nodes = append(nodes, mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: p.IP, Pod: p.Name, Namespace: p.Namespace, Domain: defaults.DomainSuffix})})
	}
	res := mesh.Compute(b, nodes)
	alone := model.Build(b)
	for i, n := range nodes {
		if !res.Resources[n.ID].Equal(xds.Generate(alone, bench.ProxyFor(alone, m.Pods[i]))) {
			t.Fatalf("%s: Compute's resources differ from translating the proxy alone", n.ID)
		}
	}
}
