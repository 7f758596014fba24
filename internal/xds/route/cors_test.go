package route

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func TestCORS(t *testing.T) {
	in := &networkingv1.CorsPolicy{
		AllowOrigins:        []networkingv1.StringMatch{*exact("https://a.example"), *prefix("https://b."), *regex(`https://.*\.c\.example`)},
		AllowOrigin:         []string{"https://legacy.example"},
		AllowMethods:        []string{"GET", "POST"},
		AllowHeaders:        []string{"x-a", "x-b"},
		ExposeHeaders:       []string{"x-c"},
		MaxAge:              ptr(networkingv1.Duration("24h")),
		AllowCredentials:    ptr(true),
		UnmatchedPreflights: "IGNORE",
	}
	rt := onlyRoute(t, buildOK(t, sidecarParams(networkingv1.HTTPRoute{CorsPolicy: in, Route: to("reviews")})))
	a, ok := rt.GetTypedPerFilterConfig()["envoy.filters.http.cors"]
	if !ok {
		t.Fatalf("no cors per-filter config: %v", rt.GetTypedPerFilterConfig())
	}
	got := &corsv3.CorsPolicy{}
	if err := a.UnmarshalTo(got); err != nil {
		t.Fatal(err)
	}
	want := &corsv3.CorsPolicy{
		AllowOriginStringMatch: []*matcherv3.StringMatcher{
			strExact("https://a.example"), strPrefix("https://b."), strRegex(`https://.*\.c\.example`), strExact("https://legacy.example"),
		},
		AllowMethods:                 "GET,POST",
		AllowHeaders:                 "x-a,x-b",
		ExposeHeaders:                "x-c",
		MaxAge:                       "86400",
		AllowCredentials:             wrapperspb.Bool(true),
		FilterEnabled:                &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: 100, Denominator: typev3.FractionalPercent_HUNDRED}},
		ForwardNotMatchingPreflights: wrapperspb.Bool(false),
	}
	assertProto(t, "cors", got, want)
}

func TestCORSBadOriginDropped(t *testing.T) {
	in := &networkingv1.CorsPolicy{AllowOrigins: []networkingv1.StringMatch{*regex("(bad"), *exact("https://ok.example"), {}}}
	routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{CorsPolicy: in, Route: to("reviews")}))
	assertErrors(t, errs,
		FieldError{Object: testVS, Field: "http[0].corsPolicy.allowOrigins[0].regex", Reason: "invalid regex"},
		FieldError{Object: testVS, Field: "http[0].corsPolicy.allowOrigins[2]", Reason: "one of exact, prefix or regex is required"},
	)
	got := &corsv3.CorsPolicy{}
	if err := onlyRoute(t, routes).GetTypedPerFilterConfig()["envoy.filters.http.cors"].UnmarshalTo(got); err != nil {
		t.Fatal(err)
	}
	if len(got.GetAllowOriginStringMatch()) != 1 || got.GetAllowOriginStringMatch()[0].GetExact() != "https://ok.example" {
		t.Errorf("origins = %v, want only the valid one", got.GetAllowOriginStringMatch())
	}
}
