package controllers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/push"
)

// churnBundle is two services with two pods each; pod web-1 has the IP
// ip.
func churnBundle(t *testing.T, ip string) *bundle.Bundle {
	t.Helper()
	var b strings.Builder
	for i, svc := range []string{"web", "api"} {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: shop}\nspec: {clusterIP: 10.96.0.%d, selector: {app: %s}, ports: [{name: http, port: 8080}]}\n", svc, 10+i, svc)
		var eps []string
		for k := range 2 {
			addr := fmt.Sprintf("10.1.%d.%d", i, k+1)
			if svc == "web" && k == 1 {
				addr = ip
			}
			fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s-%d, namespace: shop, labels: {app: %s}, annotations: {sidecar.istio.io/status: \"{}\"}}\nspec: {containers: [{name: app, image: app}]}\nstatus: {podIP: %s}\n", svc, k, svc, addr)
			eps = append(eps, fmt.Sprintf("- {addresses: [%s], conditions: {ready: true}, targetRef: {kind: Pod, name: %s-%d, namespace: shop}}\n", addr, svc, k))
		}
		fmt.Fprintf(&b, "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: %s-1, namespace: shop, labels: {kubernetes.io/service-name: %s}}\naddressType: IPv4\nports: [{name: http, port: 8080}]\nendpoints:\n%s", svc, svc, strings.Join(eps, ""))
	}
	out := &bundle.Bundle{}
	if _, err := out.Decode("churn.yaml", strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	return out
}

func churnNode(pod, ip string) mesh.Node {
	return mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: ip, Pod: pod, Namespace: "shop", Domain: defaults.DomainSuffix})}
}

// A pod recreated under a new IP, its EndpointSlice updated and its proxy
// reconnected under the new node id, is answered by the pod path, with
// what a full reconcile gives; a change of another kind is not.
func TestPodChurnTakesThePodPath(t *testing.T) {
	nodes := []mesh.Node{churnNode("web-0", "10.1.0.1"), churnNode("web-1", "10.1.0.2"), churnNode("api-0", "10.1.1.1")}
	last := mesh.Compute(churnBundle(t, "10.1.0.2"), nodes)

	recreated := []mesh.Node{nodes[0], churnNode("web-1", "10.1.0.99"), nodes[2]}
	b := churnBundle(t, "10.1.0.99")
	ch := push.Config(push.Key{Kind: kindPod, Namespace: "shop", Name: "web-1"}).
		Merge(push.Config(push.Key{Kind: kindEndpointSlice, Namespace: "shop", Name: "web-1"})).
		Merge(push.Joined(recreated[1].ID))
	got := podPathAsFull(t, ch, b, recreated, last)
	if _, ok := got.Resources[nodes[1].ID]; ok {
		t.Error("the recreated pod's old node is still configured")
	}

	other := ch.Merge(push.Config(push.Key{Kind: "Service", Namespace: "shop", Name: "web"}))
	if _, how := compute(other, b, recreated, last); how == computedPods {
		t.Error("a Service change took the pod path")
	}
}

// A namespace created beside the mesh changes nothing the translation
// reads: the pod path answers it with what a full reconcile gives.
func TestNamespaceChangeTakesThePodPath(t *testing.T) {
	nodes := []mesh.Node{churnNode("web-0", "10.1.0.1"), churnNode("web-1", "10.1.0.2"), churnNode("api-0", "10.1.1.1")}
	last := mesh.Compute(churnBundle(t, "10.1.0.2"), nodes)
	b := churnBundle(t, "10.1.0.2")
	if _, err := b.Decode("ns.yaml", strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: inject, labels: {istio-injection: enabled}}\n")); err != nil {
		t.Fatal(err)
	}
	podPathAsFull(t, push.Config(push.Key{Kind: kindNamespace, Name: "inject"}), b, nodes, last)
}

// podPathAsFull computes ch by compute, which must take the pod path and
// give every node, and the status, what a full reconcile gives.
func podPathAsFull(t *testing.T, ch push.Change, b *bundle.Bundle, nodes []mesh.Node, last *mesh.Result) *mesh.Result {
	t.Helper()
	got, how := compute(ch, b, nodes, last)
	if how != computedPods {
		t.Fatalf("computation %d, want the pod path (%d)", how, computedPods)
	}
	want := mesh.Compute(b, nodes)
	for _, n := range nodes {
		if !want.Resources[n.ID].Equal(got.Resources[n.ID]) {
			t.Errorf("%s: the pod path differs from a full reconcile", n.ID)
		}
	}
	if w, g := want.Model.Status.Canonical(), got.Model.Status.Canonical(); w != g {
		t.Errorf("status differs\nfull:\n%s\npod path:\n%s", w, g)
	}
	return got
}
