package route

import (
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func TestRewrite(t *testing.T) {
	wholePath := func(to string) *matcherv3.RegexMatchAndSubstitute {
		return &matcherv3.RegexMatchAndSubstitute{Pattern: &matcherv3.RegexMatcher{Regex: "^.*$"}, Substitution: to}
	}
	tests := []struct {
		name    string
		match   []networkingv1.HTTPMatchRequest
		rewrite networkingv1.HTTPRewrite
		want    *routev3.RouteAction // only the rewrite fields are compared
	}{
		{"prefix match replaces the prefix", []networkingv1.HTTPMatchRequest{{URI: prefix("/api/v1")}}, networkingv1.HTTPRewrite{URI: "/v1"},
			&routev3.RouteAction{PrefixRewrite: "/v1"}},
		{"exact match replaces the path", []networkingv1.HTTPMatchRequest{{URI: exact("/old")}}, networkingv1.HTTPRewrite{URI: "/new"},
			&routev3.RouteAction{RegexRewrite: wholePath("/new")}},
		{"regex match replaces the path", []networkingv1.HTTPMatchRequest{{URI: regex("/o.*")}}, networkingv1.HTTPRewrite{URI: `/n\ew`},
			&routev3.RouteAction{RegexRewrite: wholePath(`/n\\ew`)}},
		{"no uri match replaces the path", nil, networkingv1.HTTPRewrite{URI: "/"},
			&routev3.RouteAction{RegexRewrite: wholePath("/")}},
		{"authority", nil, networkingv1.HTTPRewrite{Authority: "ratings.example"},
			&routev3.RouteAction{HostRewriteSpecifier: &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: "ratings.example"}}},
		{"uriRegexRewrite", nil, networkingv1.HTTPRewrite{URIRegexRewrite: &networkingv1.RegexRewrite{Match: "^/service/([^/]+)(/.*)$", Rewrite: `\2/instance/\1`}},
			&routev3.RouteAction{RegexRewrite: &matcherv3.RegexMatchAndSubstitute{Pattern: &matcherv3.RegexMatcher{Regex: "^/service/([^/]+)(/.*)$"}, Substitution: `\2/instance/\1`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rw := tt.rewrite
			act := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{Match: tt.match, Rewrite: &rw, Route: to("reviews")}))).GetRoute()
			got := &routev3.RouteAction{PrefixRewrite: act.GetPrefixRewrite(), RegexRewrite: act.GetRegexRewrite(), HostRewriteSpecifier: act.GetHostRewriteSpecifier()}
			assertProto(t, "rewrite", got, tt.want)
		})
	}
}

func TestRewritePerMatch(t *testing.T) {
	routes := buildOK(t, sidecarParams(networkingv1.HTTPRoute{
		Match:   []networkingv1.HTTPMatchRequest{{URI: prefix("/a")}, {URI: exact("/b")}},
		Rewrite: &networkingv1.HTTPRewrite{URI: "/c"},
		Route:   to("reviews"),
	}))
	if len(routes) != 2 {
		t.Fatalf("got %d routes", len(routes))
	}
	if routes[0].GetRoute().GetPrefixRewrite() != "/c" || routes[0].GetRoute().GetRegexRewrite() != nil {
		t.Errorf("prefix match: %v", routes[0].GetRoute())
	}
	if routes[1].GetRoute().GetPrefixRewrite() != "" || routes[1].GetRoute().GetRegexRewrite().GetSubstitution() != "/c" {
		t.Errorf("exact match: %v", routes[1].GetRoute())
	}
}

func TestBadUriRegexRewrite(t *testing.T) {
	routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{
		Rewrite: &networkingv1.HTTPRewrite{URIRegexRewrite: &networkingv1.RegexRewrite{Match: "(", Rewrite: "/"}},
		Route:   to("reviews"),
	}))
	assertErrors(t, errs, FieldError{Object: testVS, Field: "http[0].rewrite.uriRegexRewrite.match", Reason: "invalid regex"})
	if len(routes) != 0 {
		t.Errorf("routes = %v, want none", routeNames(routes))
	}
}
