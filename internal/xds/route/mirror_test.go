package route

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func mirrorTo(cluster string, perMillionth uint32) *routev3.RouteAction_RequestMirrorPolicy {
	return &routev3.RouteAction_RequestMirrorPolicy{Cluster: cluster, RuntimeFraction: &corev3.RuntimeFractionalPercent{DefaultValue: perMillion(perMillionth)}}
}

func TestMirrors(t *testing.T) {
	shadow := networkingv1.Destination{Host: "reviews", Subset: "shadow"}
	shadowCluster := "outbound|9080|shadow|reviews.default.svc.cluster.local"
	tests := []struct {
		name string
		rule networkingv1.HTTPRoute
		want []*routev3.RouteAction_RequestMirrorPolicy
	}{
		{"mirror defaults to 100%", networkingv1.HTTPRoute{Mirror: &shadow}, []*routev3.RouteAction_RequestMirrorPolicy{mirrorTo(shadowCluster, 1000000)}},
		{"mirrorPercentage", networkingv1.HTTPRoute{Mirror: &shadow, MirrorPercentage: &networkingv1.Percent{Value: 12.5}},
			[]*routev3.RouteAction_RequestMirrorPolicy{mirrorTo(shadowCluster, 125000)}},
		{"deprecated mirror_percent", networkingv1.HTTPRoute{Mirror: &shadow, MirrorPercent: ptr(int32(50))},
			[]*routev3.RouteAction_RequestMirrorPolicy{mirrorTo(shadowCluster, 500000)}},
		{"mirror percentage 0 mirrors nothing", networkingv1.HTTPRoute{Mirror: &shadow, MirrorPercentage: &networkingv1.Percent{Value: 0}}, nil},
		{"mirrors, each with its percentage", networkingv1.HTTPRoute{Mirrors: []networkingv1.HTTPMirrorPolicy{
			{Destination: shadow},
			{Destination: networkingv1.Destination{Host: "ratings.prod.svc.cluster.local"}, Percentage: &networkingv1.Percent{Value: 0.5}},
		}}, []*routev3.RouteAction_RequestMirrorPolicy{mirrorTo(shadowCluster, 1000000), mirrorTo("outbound|9080||ratings.prod.svc.cluster.local", 5000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rule.Route = to("reviews")
			act := onlyRoute(t, buildOK(t, sidecarParams(tt.rule))).GetRoute()
			assertProto(t, "mirrors", &routev3.RouteAction{RequestMirrorPolicies: act.GetRequestMirrorPolicies()},
				&routev3.RouteAction{RequestMirrorPolicies: tt.want})
		})
	}
}

func TestUnresolvedMirrorKeepsRoute(t *testing.T) {
	routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{
		Mirror: &networkingv1.Destination{Host: "reviews", Subset: "missing"},
		Route:  to("reviews"),
	}))
	assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0].mirror", Reason: "mirror ignored"})
	act := onlyRoute(t, routes).GetRoute()
	if act.GetCluster() != reviewsCluster || len(act.GetRequestMirrorPolicies()) != 0 {
		t.Errorf("route action %v, want primary cluster and no mirror", act)
	}
}
