package route

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func TestRedirect(t *testing.T) {
	tests := []struct {
		name string
		in   networkingv1.HTTPRedirect
		want *routev3.RedirectAction
	}{
		{"uri, default 301", networkingv1.HTTPRedirect{URI: "/v1/bookRatings"},
			&routev3.RedirectAction{PathRewriteSpecifier: &routev3.RedirectAction_PathRedirect{PathRedirect: "/v1/bookRatings"}}},
		{"authority and scheme", networkingv1.HTTPRedirect{Authority: "new.example", Scheme: "https", RedirectCode: 302},
			&routev3.RedirectAction{HostRedirect: "new.example", SchemeRewriteSpecifier: &routev3.RedirectAction_SchemeRedirect{SchemeRedirect: "https"},
				ResponseCode: routev3.RedirectAction_FOUND}},
		{"port 303", networkingv1.HTTPRedirect{Port: 8443, RedirectCode: 303},
			&routev3.RedirectAction{PortRedirect: 8443, ResponseCode: routev3.RedirectAction_SEE_OTHER}},
		{"derivePort FROM_REQUEST_PORT keeps the listener port", networkingv1.HTTPRedirect{DerivePort: "FROM_REQUEST_PORT", RedirectCode: 307},
			&routev3.RedirectAction{PortRedirect: 9080, ResponseCode: routev3.RedirectAction_TEMPORARY_REDIRECT}},
		{"derivePort FROM_PROTOCOL_DEFAULT sets no port", networkingv1.HTTPRedirect{DerivePort: "FROM_PROTOCOL_DEFAULT", Scheme: "https", RedirectCode: 308},
			&routev3.RedirectAction{SchemeRewriteSpecifier: &routev3.RedirectAction_SchemeRedirect{SchemeRedirect: "https"}, ResponseCode: routev3.RedirectAction_PERMANENT_REDIRECT}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{Redirect: &tt.in})))
			assertProto(t, "redirect", rt.GetRedirect(), tt.want)
			if rt.GetRoute() != nil {
				t.Errorf("redirect route also has a route action")
			}
		})
	}
}

func TestRedirectUnsupportedCode(t *testing.T) {
	routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{Redirect: &networkingv1.HTTPRedirect{URI: "/x", RedirectCode: 305}}))
	assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0].redirect.redirectCode", Reason: "redirect code 305 is not supported"})
	if len(routes) != 0 {
		t.Errorf("routes = %v, want none", routeNames(routes))
	}
}

func TestDirectResponse(t *testing.T) {
	tests := []struct {
		name string
		in   networkingv1.HTTPDirectResponse
		want *routev3.DirectResponseAction
	}{
		{"status only", networkingv1.HTTPDirectResponse{Status: 204}, &routev3.DirectResponseAction{Status: 204}},
		{"string body", networkingv1.HTTPDirectResponse{Status: 503, Body: &networkingv1.HTTPBody{String: ptr("unavailable")}},
			&routev3.DirectResponseAction{Status: 503, Body: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "unavailable"}}}},
		{"bytes body", networkingv1.HTTPDirectResponse{Status: 200, Body: &networkingv1.HTTPBody{Bytes: []byte{0, 1, 2}}},
			&routev3.DirectResponseAction{Status: 200, Body: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: []byte{0, 1, 2}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{DirectResponse: &tt.in})))
			assertProto(t, "direct response", rt.GetDirectResponse(), tt.want)
		})
	}
}

func TestInvalidEnvoyRouteDropped(t *testing.T) {
	// The CRD keeps status in 200-599; Envoy's own validation is the last
	// line of defence when something slips through.
	routes, errs := Build(sidecarParams(
		networkingv1.HTTPRoute{Name: "bad", DirectResponse: &networkingv1.HTTPDirectResponse{Status: 99}},
		networkingv1.HTTPRoute{Name: "good", Route: to("reviews")},
	))
	assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0]", Reason: "route rejected by Envoy validation"})
	if got := routeNames(routes); len(got) != 1 || got[0] != "good" {
		t.Errorf("routes = %v, want [good]", got)
	}
}
