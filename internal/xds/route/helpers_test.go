package route

import (
	"fmt"
	"strings"
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

var testVS = types.NamespacedName{Namespace: "default", Name: "reviews"}

// testClusterFor mimics the caller: short hosts resolve in the owner's
// namespace; subset "missing" fails the way a missing DestinationRule
// subset does.
func testClusterFor(owner types.NamespacedName, d networkingv1.Destination) (string, error) {
	if d.Subset == "missing" {
		return "", fmt.Errorf("subset %q not found in DestinationRule %s/%s", d.Subset, owner.Namespace, d.Host)
	}
	host := d.Host
	if !strings.Contains(host, ".") {
		host += "." + owner.Namespace + ".svc.cluster.local"
	}
	port := uint32(9080)
	if d.Port != nil {
		port = uint32(d.Port.Number)
	}
	return fmt.Sprintf("outbound|%d|%s|%s", port, d.Subset, host), nil
}

// sidecarParams is the common case: a sidecar in default, port 9080.
func sidecarParams(http ...networkingv1.HTTPRoute) Params {
	return Params{
		VS:         testVS,
		HTTP:       http,
		VSGateways: []string{"mesh"},
		Port:       9080,
		Proxy:      Proxy{Namespace: "default", Labels: map[string]string{"app": "productpage", "version": "v1"}, Gateways: []string{"mesh"}},
		ClusterFor: testClusterFor,
	}
}

// buildOK builds and fails the test on any FieldError.
func buildOK(t *testing.T, p Params) []*routev3.Route {
	t.Helper()
	routes, errs := Build(p)
	if len(errs) > 0 {
		t.Fatalf("unexpected errors: %v", errs)
	}
	for _, r := range routes {
		if err := r.ValidateAll(); err != nil {
			t.Fatalf("route %q does not validate: %v", r.GetName(), err)
		}
	}
	return routes
}

func onlyRoute(t *testing.T, routes []*routev3.Route) *routev3.Route {
	t.Helper()
	if len(routes) != 1 {
		t.Fatalf("got %d routes, want 1: %v", len(routes), routeNames(routes))
	}
	return routes[0]
}

func routeNames(routes []*routev3.Route) []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.GetName())
	}
	return out
}

func assertProto(t *testing.T, what string, got, want proto.Message) {
	t.Helper()
	if !proto.Equal(got, want) {
		t.Errorf("%s:\n got  %s\n want %s", what, protojson.Format(got), protojson.Format(want))
	}
}

// assertErrors checks the errors' fields and that each reason contains the
// given text, in order.
func assertErrors(t *testing.T, got []FieldError, want ...FieldError) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Object != w.Object || g.Kind != KindVirtualService || g.Field != w.Field || !strings.Contains(g.Reason, w.Reason) {
			t.Errorf("error %d = %+v, want object %s field %q reason containing %q", i, g, w.Object, w.Field, w.Reason)
		}
	}
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func ptr[T any](v T) *T { return &v }

func exact(s string) *networkingv1.StringMatch  { return &networkingv1.StringMatch{Exact: &s} }
func prefix(s string) *networkingv1.StringMatch { return &networkingv1.StringMatch{Prefix: &s} }
func regex(s string) *networkingv1.StringMatch  { return &networkingv1.StringMatch{Regex: &s} }

func to(host string) []networkingv1.HTTPRouteDestination {
	return []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: host}}}
}

func weighted(host, subset string, w int32) networkingv1.HTTPRouteDestination {
	return networkingv1.HTTPRouteDestination{Destination: networkingv1.Destination{Host: host, Subset: subset}, Weight: w}
}

const reviewsCluster = "outbound|9080||reviews.default.svc.cluster.local"

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
