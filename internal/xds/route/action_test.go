package route

import (
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// wantDefaultRetry is Istio's policy for routes that say nothing, written
// out from Istio's documented values rather than from the package's.
func wantDefaultRetry(t *testing.T) *routev3.RetryPolicy {
	return &routev3.RetryPolicy{
		RetryOn:    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
		NumRetries: wrapperspb.UInt32(2),
		RetryHostPredicate: []*routev3.RetryPolicy_RetryHostPredicate{{
			Name:       "envoy.retry_host_predicates.previous_hosts",
			ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: mustAny(t, &previoushostsv3.PreviousHostsPredicate{})},
		}},
		HostSelectionRetryMaxAttempts: 5,
	}
}

func TestSingleDestinationRoute(t *testing.T) {
	rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{Name: "default", Route: to("reviews")})))
	want := &routev3.Route{
		Name:  "default",
		Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{
			ClusterSpecifier:  &routev3.RouteAction_Cluster{Cluster: reviewsCluster},
			Timeout:           &durationpb.Duration{},
			MaxStreamDuration: &routev3.RouteAction_MaxStreamDuration{GrpcTimeoutHeaderMax: &durationpb.Duration{}},
			RetryPolicy:       wantDefaultRetry(t),
		}},
	}
	assertProto(t, "route", rt, want)
}

func hv(k, v string, a corev3.HeaderValueOption_HeaderAppendAction) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: v}, AppendAction: a}
}

const overwrite, appendIt = corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD, corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD

func TestWeightedClusters(t *testing.T) {
	v1 := weighted("reviews", "v1", 75)
	v1.Headers = &networkingv1.Headers{Request: &networkingv1.HeaderOperations{Set: map[string]string{"x-version": "v1"}},
		Response: &networkingv1.HeaderOperations{Remove: []string{"x-internal"}}}
	v2 := weighted("reviews", "v2", 25)
	v2.Headers = &networkingv1.Headers{Request: &networkingv1.HeaderOperations{Add: map[string]string{"x-canary": "yes"}, Set: map[string]string{"host": "v2.reviews"}}}
	rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{
		Route: []networkingv1.HTTPRouteDestination{v1, v2, weighted("reviews", "v3", 0)},
	})))
	want := &routev3.WeightedCluster{Clusters: []*routev3.WeightedCluster_ClusterWeight{
		{Name: "outbound|9080|v1|reviews.default.svc.cluster.local", Weight: wrapperspb.UInt32(75),
			RequestHeadersToAdd: []*corev3.HeaderValueOption{hv("x-version", "v1", overwrite)}, ResponseHeadersToRemove: []string{"x-internal"}},
		{Name: "outbound|9080|v2|reviews.default.svc.cluster.local", Weight: wrapperspb.UInt32(25),
			RequestHeadersToAdd:  []*corev3.HeaderValueOption{hv("x-canary", "yes", appendIt)},
			HostRewriteSpecifier: &routev3.WeightedCluster_ClusterWeight_HostRewriteLiteral{HostRewriteLiteral: "v2.reviews"}},
	}}
	assertProto(t, "weighted clusters", rt.GetRoute().GetWeightedClusters(), want)
	if len(rt.GetRequestHeadersToAdd()) != 0 {
		t.Errorf("per-destination headers leaked onto the route: %v", rt.GetRequestHeadersToAdd())
	}
}

func TestSingleDestinationHeadersGoOnTheRoute(t *testing.T) {
	d := to("reviews")
	d[0].Headers = &networkingv1.Headers{Request: &networkingv1.HeaderOperations{Set: map[string]string{"x-dest": "1"}}}
	rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{
		Headers: &networkingv1.Headers{Request: &networkingv1.HeaderOperations{Set: map[string]string{"x-rule": "1"}}},
		Route:   d,
	})))
	want := []*corev3.HeaderValueOption{hv("x-rule", "1", overwrite), hv("x-dest", "1", overwrite)}
	assertProto(t, "headers", &routev3.Route{RequestHeadersToAdd: rt.GetRequestHeadersToAdd()}, &routev3.Route{RequestHeadersToAdd: want})
}

func TestWeightsSumToZero(t *testing.T) {
	p := sidecarParams(
		networkingv1.HTTPRoute{Name: "zero", Route: []networkingv1.HTTPRouteDestination{weighted("reviews", "v1", 0), weighted("reviews", "v2", 0)}},
		networkingv1.HTTPRoute{Name: "fine", Route: to("reviews")},
	)
	routes, errs := Build(p)
	assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0].route", Reason: "weights sum to 0"})
	if got := routeNames(routes); len(got) != 1 || got[0] != "fine" {
		t.Errorf("routes = %v, want [fine]", got)
	}
}

func TestUnresolvedDestination(t *testing.T) {
	t.Run("one of two: the other takes the traffic", func(t *testing.T) {
		routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{
			Route: []networkingv1.HTTPRouteDestination{weighted("reviews", "v1", 90), weighted("reviews", "missing", 10)},
		}))
		assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0].route[1].destination", Reason: `subset "missing" not found`})
		rt := onlyRoute(t, routes)
		if got := rt.GetRoute().GetCluster(); got != "outbound|9080|v1|reviews.default.svc.cluster.local" {
			t.Errorf("cluster = %q, want the v1 cluster alone", got)
		}
	})
	t.Run("all: route dropped", func(t *testing.T) {
		routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{
			Route: []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: "reviews", Subset: "missing"}}},
		}))
		assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0].route[0].destination", Reason: "not found"})
		if len(routes) != 0 {
			t.Errorf("routes = %v, want none", routeNames(routes))
		}
	})
}

func TestTimeout(t *testing.T) {
	tests := []struct {
		in   *networkingv1.Timeout
		want time.Duration
	}{
		{nil, 0},
		{ptr(networkingv1.Timeout("0s")), 0},
		{ptr(networkingv1.Timeout("1.5s")), 1500 * time.Millisecond},
		{ptr(networkingv1.Timeout("3m")), 3 * time.Minute},
		{ptr(networkingv1.Timeout("100ms")), 100 * time.Millisecond},
	}
	for _, tt := range tests {
		rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{Timeout: tt.in, Route: to("reviews")})))
		act := rt.GetRoute()
		want := durationpb.New(tt.want)
		assertProto(t, "timeout", act.GetTimeout(), want)
		assertProto(t, "grpc_timeout_header_max", act.GetMaxStreamDuration(), &routev3.RouteAction_MaxStreamDuration{GrpcTimeoutHeaderMax: want})
	}
}

func TestBadTimeoutDropsRoute(t *testing.T) {
	routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{Timeout: ptr(networkingv1.Timeout("10")), Route: to("reviews")}))
	assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0].timeout", Reason: `invalid duration "10"`})
	if len(routes) != 0 {
		t.Errorf("routes = %v, want none", routeNames(routes))
	}
}

func TestHashPolicy(t *testing.T) {
	hp := []*routev3.RouteAction_HashPolicy{{PolicySpecifier: &routev3.RouteAction_HashPolicy_Header_{
		Header: &routev3.RouteAction_HashPolicy_Header{HeaderName: "x-user"}}}}
	p := sidecarParams(networkingv1.HTTPRoute{Route: to("reviews")})
	var asked []types.NamespacedName
	p.HashPolicy = func(owner types.NamespacedName, d networkingv1.Destination) []*routev3.RouteAction_HashPolicy {
		asked = append(asked, owner)
		if d.Host == "reviews" {
			return hp
		}
		return nil
	}
	act := onlyRoute(t, buildOK(t, p)).GetRoute()
	if len(act.GetHashPolicy()) != 1 || !proto.Equal(act.GetHashPolicy()[0], hp[0]) {
		t.Errorf("hash policy = %v, want %v", act.GetHashPolicy(), hp)
	}
	if len(asked) != 1 || asked[0] != testVS {
		t.Errorf("HashPolicy asked for owners %v, want [%s]", asked, testVS)
	}
	// Istio's default retry policy leaves out previous_hosts when hashing:
	// a retry on another host would break stickiness.
	want := wantDefaultRetry(t)
	want.RetryHostPredicate = nil
	assertProto(t, "retry policy", act.GetRetryPolicy(), want)
}

func TestNoActionIsAnError(t *testing.T) {
	_, errs := Build(sidecarParams(networkingv1.HTTPRoute{Name: "empty"}))
	assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0]", Reason: "one of route, redirect or directResponse is required"})
}

func TestNilClusterFor(t *testing.T) {
	p := sidecarParams(networkingv1.HTTPRoute{Route: to("reviews")})
	p.ClusterFor = nil
	_, errs := Build(p)
	if len(errs) != 1 || errs[0].Field != "http[0].route[0].destination" {
		t.Fatalf("errors = %v", errs)
	}
}
