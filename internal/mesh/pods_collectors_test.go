package mesh_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
)

// collectorsBundle is collectorsMesh with its mesh configuration read.
func collectorsBundle(t *testing.T, backendIP string) *bundle.Bundle {
	t.Helper()
	b := localityBundle(t, collectorsMesh(backendIP))
	if err := b.ReadMeshConfig(defaults.ControlPlaneNamespace); err != nil {
		t.Fatal(err)
	}
	return b
}

// collectorsMesh: workloads a and b share one namespace, hence one
// outbound half, and send spans to collectors of their own (Telemetry by
// selector), so their groups' load assignments are as many but not for
// the same clusters; backend's pod sits at backendIP.
func collectorsMesh(backendIP string) string {
	var b strings.Builder
	b.WriteString(`apiVersion: v1
kind: Namespace
metadata: {name: sailplane-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: sailplane-system}
data:
  mesh: |
    extensionProviders:
    - {name: ta, zipkin: {service: ta.obs.svc.cluster.local, port: 9411}}
    - {name: tb, zipkin: {service: tb.obs.svc.cluster.local, port: 9411}}
`)
	for _, w := range []string{"a", "b"} {
		fmt.Fprintf(&b, "---\napiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: %s, namespace: app}\nspec: {selector: {matchLabels: {app: %s}}, tracing: [{providers: [{name: t%s}]}]}\n", w, w, w)
	}
	svc := func(name, ns, ip string, port int) {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec: {selector: {app: %s}, ports: [{name: http, port: %d}]}\n", name, ns, name, port)
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s-1, namespace: %s, labels: {app: %s}, annotations: {sidecar.istio.io/status: \"{}\"}}\nspec: {containers: [{name: app, image: app, ports: [{containerPort: %d}]}]}\nstatus: {podIP: %s}\n", name, ns, name, port, ip)
		fmt.Fprintf(&b, "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: %s-1, namespace: %s, labels: {kubernetes.io/service-name: %s}}\naddressType: IPv4\nports: [{name: http, port: %d}]\nendpoints: [{addresses: [%s], conditions: {ready: true}, targetRef: {kind: Pod, name: %s-1, namespace: %s}}]\n", name, ns, name, port, ip, name, ns)
	}
	svc("a", "app", "10.1.0.1", 8080)
	svc("b", "app", "10.1.0.2", 8080)
	svc("backend", "app", backendIP, 8080)
	svc("ta", "obs", "10.2.0.1", 9411)
	svc("tb", "obs", "10.2.0.2", 9411)
	return b.String()
}

// Groups of one outbound half whose load assignments name different
// clusters must not share the pod path's work: b's collector is not a's.
func TestPodsSinceKeepsEachGroupsCollectors(t *testing.T) {
	nodes := []mesh.Node{
		{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: "10.1.0.1", Pod: "a-1", Namespace: "app", Domain: defaults.DomainSuffix})},
		{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: "10.1.0.2", Pod: "b-1", Namespace: "app", Domain: defaults.DomainSuffix})},
	}
	before := mesh.Compute(collectorsBundle(t, "10.1.0.3"), nodes)
	for _, n := range nodes {
		if len(before.Resources[n.ID].Endpoints) != len(before.Resources[nodes[0].ID].Endpoints) {
			t.Fatal("the two groups must hold as many load assignments for this test")
		}
	}
	after := collectorsBundle(t, "10.1.0.9")
	got, ok := mesh.ComputePodsSince(after, nodes, before)
	if !ok {
		t.Fatal("the pod path declined a pod moved to a new address")
	}
	want := mesh.Compute(after, nodes)
	samePodsResult(t, "backend moved", want, got, nodes)
}
