package mesh_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// statusBundle: a service, a mesh VirtualService whose one match has a
// regex Envoy refuses (its problem is found only while translating), and
// a Gateway-bound one with the same flaw, with no pod behind the Gateway.
func statusBundle() *bundle.Bundle {
	re := "a{1000}"
	svc := corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "reviews", Namespace: "shop"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.1", Selector: map[string]string{"app": "reviews"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 9080}}},
	}
	badRoute := func(name string, gateways []string) networkingv1.VirtualService {
		return networkingv1.VirtualService{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
			Spec: networkingv1.VirtualServiceSpec{
				Hosts: []string{"reviews"}, Gateways: gateways,
				HTTP: []networkingv1.HTTPRoute{{
					Match: []networkingv1.HTTPMatchRequest{{URI: &networkingv1.StringMatch{Regex: &re}}},
					Route: []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: "reviews"}}},
				}},
			},
		}
	}
	gw := networkingv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: "edge", Namespace: "shop"},
		Spec: networkingv1.GatewaySpec{
			Selector: map[string]string{"istio": "ingressgateway"},
			Servers:  []networkingv1.Server{{Port: networkingv1.Port{Number: 80, Name: "http", Protocol: "HTTP"}, Hosts: []string{"*"}}},
		},
	}
	return &bundle.Bundle{
		Services:        []corev1.Service{svc},
		VirtualServices: []networkingv1.VirtualService{badRoute("mesh-rule", nil), badRoute("edge-rule", []string{"edge"})},
		Gateways:        []networkingv1.Gateway{gw},
	}
}

func statusOf(t *testing.T, res *mesh.Result, name string) mesh.ObjectStatus {
	t.Helper()
	for _, s := range mesh.Statuses(res.Model.Status) {
		if s.Object.Kind == "VirtualService" && s.Object.Name == name {
			return s
		}
	}
	t.Fatalf("no status for VirtualService %s", name)
	return mesh.ObjectStatus{}
}

// TestStatusWithoutProxies: with no proxy connected, a VirtualService with
// a regex Envoy refuses is not Accepted, for the mesh and for a gateway
// (before, both read Accepted=True until a proxy that sees them came).
func TestStatusWithoutProxies(t *testing.T) {
	res := mesh.Compute(statusBundle(), nil)
	for _, name := range []string{"mesh-rule", "edge-rule"} {
		s := statusOf(t, res, name)
		if s.Accepted || !strings.Contains(s.Message, `http[0].match[0].uri.regex: regex "a{1000}" is refused by Envoy`) {
			t.Errorf("%s with no proxy connected: accepted=%v %q; want the regex reported", name, s.Accepted, s.Message)
		}
	}
	if res.Groups != 0 || len(res.Resources) != 0 {
		t.Errorf("representatives leaked into the result: %d groups, %d resources", res.Groups, len(res.Resources))
	}
}

// TestStatusDoesNotDependOnConnectedProxies: the statuses are the same
// with no proxy, one sidecar, or one sidecar and one gateway connected.
func TestStatusDoesNotDependOnConnectedProxies(t *testing.T) {
	b := statusBundle()
	b.Pods = []corev1.Pod{
		{ObjectMeta: metav1.ObjectMeta{Name: "client", Namespace: "shop", Labels: map[string]string{"app": "client"}}, Status: corev1.PodStatus{PodIP: "10.1.0.1"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "shop", Labels: map[string]string{"istio": "ingressgateway"}}, Status: corev1.PodStatus{PodIP: "10.1.0.2"}},
	}
	node := func(typ names.ProxyType, pod, ip string) mesh.Node {
		return mesh.Node{ID: names.NodeID(names.Node{Type: typ, IP: ip, Pod: pod, Namespace: "shop", Domain: defaults.DomainSuffix})}
	}
	want := render(mesh.Statuses(mesh.Compute(b, nil).Model.Status))
	for _, nodes := range [][]mesh.Node{
		{node(names.Sidecar, "client", "10.1.0.1")},
		{node(names.Sidecar, "client", "10.1.0.1"), node(names.Router, "gw", "10.1.0.2")},
	} {
		if got := render(mesh.Statuses(mesh.Compute(b, nodes).Model.Status)); got != want {
			t.Errorf("with %d proxies connected the statuses are\n%s\nwant (none connected)\n%s", len(nodes), got, want)
		}
	}
}

func render(st []mesh.ObjectStatus) string {
	var b strings.Builder
	for _, s := range st {
		b.WriteString(model.FormatProblem(s.Object, model.Problem{Reason: s.Message}) + "\n")
	}
	return b.String()
}
