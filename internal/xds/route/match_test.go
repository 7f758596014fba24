package route

import (
	"slices"
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func strExact(s string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: s}}
}

func strPrefix(s string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: s}}
}

func strRegex(s string) *matcherv3.StringMatcher {
	return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: s}}}
}

func hdr(name string, sm *matcherv3.StringMatcher, invert bool) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: name, InvertMatch: invert, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: sm}}
}

func hdrPresent(name string, invert bool) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: name, InvertMatch: invert, HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}}
}

func TestMatchTranslation(t *testing.T) {
	catchAll := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}
	tests := []struct {
		name  string
		match []networkingv1.HTTPMatchRequest
		want  *routev3.RouteMatch
	}{
		{"no match is a catch-all", nil, catchAll},
		{"uri exact", []networkingv1.HTTPMatchRequest{{URI: exact("/login")}},
			&routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: "/login"}}},
		{"uri prefix", []networkingv1.HTTPMatchRequest{{URI: prefix("/api")}},
			&routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/api"}}},
		{"uri regex", []networkingv1.HTTPMatchRequest{{URI: regex("/v[0-9]+/.*")}},
			&routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "/v[0-9]+/.*"}}}},
		{"ignoreUriCase", []networkingv1.HTTPMatchRequest{{URI: prefix("/API"), IgnoreURICase: true}},
			&routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/API"}, CaseSensitive: wrapperspb.Bool(false)}},
		{"ignoreUriCase with a regex makes the regex case-insensitive", []networkingv1.HTTPMatchRequest{{URI: regex("/Api/[0-9]+"), IgnoreURICase: true}},
			&routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "(?i)/Api/[0-9]+"}}}},
		{"headers exact, prefix, regex, present", []networkingv1.HTTPMatchRequest{{Headers: map[string]networkingv1.StringMatch{
			"end-user": *exact("jason"), "x-b": *prefix("canary"), "x-c": *regex("v[12]"), "x-d": *regex("*"), "x-e": {},
		}}}, &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}, Headers: []*routev3.HeaderMatcher{
			hdr("end-user", strExact("jason"), false), hdr("x-b", strPrefix("canary"), false), hdr("x-c", strRegex("v[12]"), false),
			hdrPresent("x-d", false), hdrPresent("x-e", false),
		}}},
		{"withoutHeaders invert", []networkingv1.HTTPMatchRequest{{WithoutHeaders: map[string]networkingv1.StringMatch{
			"x-debug": {}, "x-env": *exact("dev"),
		}}}, &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}, Headers: []*routev3.HeaderMatcher{
			hdrPresent("x-debug", true), hdr("x-env", strExact("dev"), true),
		}}},
		{"method, authority, scheme as pseudo-headers", []networkingv1.HTTPMatchRequest{{
			Method: exact("GET"), Authority: prefix("api."), Scheme: exact("https"),
		}}, &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}, Headers: []*routev3.HeaderMatcher{
			hdr(":method", strExact("GET"), false), hdr(":authority", strPrefix("api."), false), hdr(":scheme", strExact("https"), false),
		}}},
		{"query params", []networkingv1.HTTPMatchRequest{{QueryParams: map[string]networkingv1.StringMatch{
			"a": *exact("1"), "b": *regex("[0-9]+"), "c": *prefix("x"), "d": {},
		}}}, &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}, QueryParameters: []*routev3.QueryParameterMatcher{
			{Name: "a", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: strExact("1")}},
			{Name: "b", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: strRegex("[0-9]+")}},
			{Name: "c", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: strPrefix("x")}},
			{Name: "d", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_PresentMatch{PresentMatch: true}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{Match: tt.match, Route: to("reviews")})))
			assertProto(t, "match", rt.GetMatch(), tt.want)
		})
	}
}

func TestOneRoutePerMatchInRuleOrder(t *testing.T) {
	routes := buildOK(t, sidecarParams(
		networkingv1.HTTPRoute{Name: "r1", Match: []networkingv1.HTTPMatchRequest{
			{Name: "a", URI: prefix("/a")}, {URI: prefix("/b")},
		}, Route: to("reviews")},
		networkingv1.HTTPRoute{Match: []networkingv1.HTTPMatchRequest{{Name: "c", URI: prefix("/c")}}, Route: to("ratings")},
		networkingv1.HTTPRoute{Route: to("details")},
	))
	wantNames := []string{"r1.a", "r1", "c", ""}
	wantPrefix := []string{"/a", "/b", "/c", "/"}
	wantCluster := []string{reviewsCluster, reviewsCluster, "outbound|9080||ratings.default.svc.cluster.local", "outbound|9080||details.default.svc.cluster.local"}
	if len(routes) != len(wantNames) {
		t.Fatalf("got routes %v, want %v", routeNames(routes), wantNames)
	}
	for i, rt := range routes {
		if rt.GetName() != wantNames[i] || rt.GetMatch().GetPrefix() != wantPrefix[i] || rt.GetRoute().GetCluster() != wantCluster[i] {
			t.Errorf("route %d = %q %q %q, want %q %q %q", i, rt.GetName(), rt.GetMatch().GetPrefix(), rt.GetRoute().GetCluster(),
				wantNames[i], wantPrefix[i], wantCluster[i])
		}
	}
}

func TestBadRegexDropsOnlyThatMatch(t *testing.T) {
	p := sidecarParams(
		networkingv1.HTTPRoute{Name: "first", Match: []networkingv1.HTTPMatchRequest{{URI: prefix("/first")}}, Route: to("reviews")},
		networkingv1.HTTPRoute{Name: "second", Match: []networkingv1.HTTPMatchRequest{{URI: regex("/(unclosed")}}, Route: to("reviews")},
		networkingv1.HTTPRoute{Name: "third", Match: []networkingv1.HTTPMatchRequest{
			{Name: "bad", Headers: map[string]networkingv1.StringMatch{"x-user": *regex("a(b")}},
			{Name: "good", URI: exact("/third")},
		}, Route: to("reviews")},
		networkingv1.HTTPRoute{Name: "fourth", Match: []networkingv1.HTTPMatchRequest{
			{QueryParams: map[string]networkingv1.StringMatch{"q": *regex("[")}},
			{Authority: regex("*.example.com")},
		}, Route: to("reviews")},
	)
	routes, errs := Build(p)
	if got, want := routeNames(routes), []string{"first", "third.good"}; !slices.Equal(got, want) {
		t.Errorf("routes = %v, want %v", got, want)
	}
	assertErrors(t, errs,
		FieldError{Object: testVS, Field: "http[1].match[0].uri.regex", Reason: `invalid regex "/(unclosed"`},
		FieldError{Object: testVS, Field: "http[2].match[0].headers[x-user].regex", Reason: `invalid regex "a(b"`},
		FieldError{Object: testVS, Field: "http[3].match[0].queryParams[q].regex", Reason: "invalid regex"},
		FieldError{Object: testVS, Field: "http[3].match[1].authority.regex", Reason: "invalid regex"},
	)
}

func TestStatPrefix(t *testing.T) {
	routes := buildOK(t, sidecarParams(networkingv1.HTTPRoute{
		Match: []networkingv1.HTTPMatchRequest{{URI: prefix("/a"), StatPrefix: "reviews-a"}, {URI: prefix("/b")}},
		Route: to("reviews"),
	}))
	if len(routes) != 2 {
		t.Fatalf("got %d routes, want 2", len(routes))
	}
	if routes[0].GetStatPrefix() != "reviews-a" || routes[1].GetStatPrefix() != "" {
		t.Errorf("stat prefixes: %q", []string{routes[0].GetStatPrefix(), routes[1].GetStatPrefix()})
	}
}
