package route

import (
	"errors"
	"slices"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

var childVS = types.NamespacedName{Namespace: "team", Name: "reviews-routes"}

// delegateParams has root rule http[0] delegating to team/reviews-routes
// (whose rules are child) and a catch-all http[1] after it.
func delegateParams(t *testing.T, parent networkingv1.HTTPRoute, child ...networkingv1.HTTPRoute) Params {
	parent.Delegate = &networkingv1.Delegate{Name: "reviews-routes", Namespace: "team"}
	p := sidecarParams(parent, networkingv1.HTTPRoute{Name: "rest", Route: to("details")})
	p.Delegate = func(d networkingv1.Delegate) (types.NamespacedName, []networkingv1.HTTPRoute, error) {
		if d != (networkingv1.Delegate{Name: "reviews-routes", Namespace: "team"}) {
			t.Errorf("Delegate called with %+v", d)
		}
		return childVS, child, nil
	}
	return p
}

func TestDelegateMergesConditionsAndFields(t *testing.T) {
	parent := networkingv1.HTTPRoute{
		Name:    "reviews",
		Match:   []networkingv1.HTTPMatchRequest{{Name: "api", URI: prefix("/reviews"), Headers: map[string]networkingv1.StringMatch{"x-tenant": *exact("a")}}},
		Timeout: ptr(networkingv1.Timeout("5s")),
		Headers: &networkingv1.Headers{Request: &networkingv1.HeaderOperations{Set: map[string]string{"x-root": "1"}}},
	}
	v2 := networkingv1.HTTPRoute{
		Name:    "v2",
		Match:   []networkingv1.HTTPMatchRequest{{Name: "beta", URI: prefix("/reviews/v2"), Headers: map[string]networkingv1.StringMatch{"x-tenant": *regex("a|b")}}},
		Timeout: ptr(networkingv1.Timeout("1s")),
		Route:   []networkingv1.HTTPRouteDestination{weighted("reviews", "v2", 0)},
	}
	v1 := networkingv1.HTTPRoute{Name: "v1", Route: []networkingv1.HTTPRouteDestination{weighted("reviews", "v1", 0)}}
	routes := buildOK(t, delegateParams(t, parent, v2, v1))

	if got, want := routeNames(routes), []string{"reviews-v2.api-beta", "reviews-v1.api", "rest"}; !slices.Equal(got, want) {
		t.Fatalf("routes = %v, want %v", got, want)
	}
	// Child AND parent: the child's narrower path, both header conditions.
	assertProto(t, "v2 match", routes[0].GetMatch(), &routev3.RouteMatch{
		PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/reviews/v2"},
		Headers:       []*routev3.HeaderMatcher{hdr("x-tenant", strExact("a"), false), hdr("x-tenant", strRegex("a|b"), false)},
	})
	assertProto(t, "v1 match", routes[1].GetMatch(), &routev3.RouteMatch{
		PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/reviews"},
		Headers:       []*routev3.HeaderMatcher{hdr("x-tenant", strExact("a"), false)},
	})
	// Short hosts in the delegate resolve in the delegate's namespace.
	for i, want := range []string{"outbound|9080|v2|reviews.team.svc.cluster.local", "outbound|9080|v1|reviews.team.svc.cluster.local"} {
		if got := routes[i].GetRoute().GetCluster(); got != want {
			t.Errorf("route %d cluster = %q, want %q", i, got, want)
		}
	}
	// The child's timeout wins; the parent's fills the gap.
	assertProto(t, "v2 timeout", routes[0].GetRoute().GetTimeout(), durationpb.New(time.Second))
	assertProto(t, "v1 timeout", routes[1].GetRoute().GetTimeout(), durationpb.New(5*time.Second))
	for i := range 2 {
		assertProto(t, "inherited headers", &routev3.Route{RequestHeadersToAdd: routes[i].GetRequestHeadersToAdd()},
			&routev3.Route{RequestHeadersToAdd: []*corev3.HeaderValueOption{hv("x-root", "1", overwrite)}})
	}
}

func TestDelegateConditionsMustAllApply(t *testing.T) {
	parent := networkingv1.HTTPRoute{Match: []networkingv1.HTTPMatchRequest{{URI: prefix("/")}}}
	child := []networkingv1.HTTPRoute{
		{Name: "gw-only", Match: []networkingv1.HTTPMatchRequest{{Gateways: []string{"istio-system/public"}}}, Route: to("reviews")},
		{Name: "other-source", Match: []networkingv1.HTTPMatchRequest{{SourceLabels: map[string]string{"app": "ratings"}}}, Route: to("reviews")},
		{Name: "other-port", Match: []networkingv1.HTTPMatchRequest{{Port: 8080}}, Route: to("reviews")},
		{Name: "ok", Match: []networkingv1.HTTPMatchRequest{{SourceLabels: map[string]string{"app": "productpage"}, Port: 9080}}, Route: to("reviews")},
	}
	routes := buildOK(t, delegateParams(t, parent, child...))
	if got, want := routeNames(routes), []string{"ok", "rest"}; !slices.Equal(got, want) {
		t.Errorf("routes = %v, want %v", got, want)
	}

	// The parent's gateways still bind: a root VS for a gateway gives a
	// sidecar nothing, whatever the delegate says.
	p := delegateParams(t, networkingv1.HTTPRoute{}, networkingv1.HTTPRoute{Name: "x", Match: []networkingv1.HTTPMatchRequest{{Gateways: []string{"mesh"}}}, Route: to("reviews")})
	p.VSGateways = []string{"istio-system/public"}
	if routes := buildOK(t, p); len(routes) != 0 {
		t.Errorf("routes = %v, want none", routeNames(routes))
	}
}

func TestDelegateErrors(t *testing.T) {
	parent := networkingv1.HTTPRoute{Name: "p", Match: []networkingv1.HTTPMatchRequest{{URI: prefix("/reviews")}}, Timeout: ptr(networkingv1.Timeout("oops"))}
	child := []networkingv1.HTTPRoute{
		{Name: "outside", Match: []networkingv1.HTTPMatchRequest{{URI: prefix("/ratings")}}, Route: to("ratings")},
		{Name: "chain", Delegate: &networkingv1.Delegate{Name: "deeper"}},
		{Name: "a", Route: to("reviews")},
		{Name: "b", Route: to("reviews")},
	}
	routes, errs := Build(delegateParams(t, parent, child...))
	assertErrors(t, errs,
		FieldError{Object: childVS, Field: "http[0].match[0]", Reason: "not within the uri of any match of VirtualService default/reviews http[0]"},
		// The parent's timeout is inherited by every child rule, but it is
		// the parent's field and reported once, on the parent.
		FieldError{Object: testVS, Field: "http[0].timeout", Reason: `invalid duration "oops"`},
		FieldError{Object: childVS, Field: "http[1].delegate", Reason: "delegate chains deeper than one level are not supported"},
	)
	if got, want := routeNames(routes), []string{"rest"}; !slices.Equal(got, want) {
		t.Errorf("routes = %v, want %v", got, want)
	}
}

func TestDelegateCallbackError(t *testing.T) {
	p := sidecarParams(networkingv1.HTTPRoute{Delegate: &networkingv1.Delegate{Name: "gone"}}, networkingv1.HTTPRoute{Name: "rest", Route: to("details")})
	var asked networkingv1.Delegate
	p.Delegate = func(d networkingv1.Delegate) (types.NamespacedName, []networkingv1.HTTPRoute, error) {
		asked = d
		return types.NamespacedName{}, nil, errors.New(`VirtualService default/gone not found`)
	}
	routes, errs := Build(p)
	assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0].delegate", Reason: "default/gone not found"})
	if asked.Namespace != "default" {
		t.Errorf("delegate namespace = %q, want the root's (default)", asked.Namespace)
	}
	if got := routeNames(routes); len(got) != 1 || got[0] != "rest" {
		t.Errorf("routes = %v, want [rest]", got)
	}
}

func TestURICovers(t *testing.T) {
	m := func(s *networkingv1.StringMatch, ignoreCase bool) *networkingv1.HTTPMatchRequest {
		return &networkingv1.HTTPMatchRequest{URI: s, IgnoreURICase: ignoreCase}
	}
	tests := []struct {
		name          string
		parent, child *networkingv1.HTTPMatchRequest
		want          bool
	}{
		{"no parent uri", m(nil, false), m(regex(".*"), false), true},
		{"no child uri", m(prefix("/a"), false), m(nil, false), true},
		{"prefix in prefix", m(prefix("/a"), false), m(prefix("/a/b"), false), true},
		{"prefix outside prefix", m(prefix("/a/b"), false), m(prefix("/a"), false), false},
		{"exact in prefix", m(prefix("/a"), false), m(exact("/a/x"), false), true},
		{"exact equal", m(exact("/a"), false), m(exact("/a"), false), true},
		{"exact differs", m(exact("/a"), false), m(exact("/b"), false), false},
		{"prefix under exact", m(exact("/a"), false), m(prefix("/a"), false), false},
		{"regex under prefix", m(prefix("/a"), false), m(regex("/a.*"), false), false},
		{"same regex", m(regex("/v[0-9]"), false), m(regex("/v[0-9]"), false), true},
		{"exact matched by regex", m(regex("/v[0-9]"), false), m(exact("/v1"), false), true},
		{"exact not fully matched by regex", m(regex("/v[0-9]"), false), m(exact("/v10"), false), false},
		{"case-insensitive child in sensitive parent", m(prefix("/a"), false), m(prefix("/a/b"), true), false},
		{"case-insensitive parent", m(prefix("/API"), true), m(prefix("/api/v1"), false), true},
	}
	for _, tt := range tests {
		if got := uriCovers(tt.parent, tt.child); got != tt.want {
			t.Errorf("%s: uriCovers = %v, want %v", tt.name, got, tt.want)
		}
	}
}
