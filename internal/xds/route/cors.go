package route

import (
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// CORSFilter is the HTTP filter whose per-route config carries a rule's
// CORS policy; the listener must include it.
const CORSFilter = "envoy.filters.http.cors"

// addCORS puts the rule's CORS policy on the route as the CORS filter's
// per-route config. An origin that cannot be matched is reported and left
// out; the others still apply.
func (b *builder) addCORS(r *rule, rt *routev3.Route) {
	in := r.spec.CorsPolicy
	if in == nil {
		return
	}
	at := r.at("corsPolicy")
	out := &corsv3.CorsPolicy{
		AllowOriginStringMatch: b.corsOrigins(at, in),
		AllowMethods:           strings.Join(in.AllowMethods, ","),
		AllowHeaders:           strings.Join(in.AllowHeaders, ","),
		ExposeHeaders:          strings.Join(in.ExposeHeaders, ","),
		// The filter is enabled per route by this policy's presence.
		FilterEnabled: &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{
			Numerator: 100, Denominator: typev3.FractionalPercent_HUNDRED}},
	}
	if in.MaxAge != nil {
		d, ok := b.duration(at.field("maxAge"), string(*in.MaxAge))
		if !ok {
			return
		}
		// Access-Control-Max-Age is in whole seconds.
		out.MaxAge = strconv.FormatInt(d.GetSeconds(), 10)
	}
	if in.AllowCredentials != nil {
		out.AllowCredentials = wrapperspb.Bool(*in.AllowCredentials)
	}
	switch in.UnmatchedPreflights {
	case "FORWARD":
		out.ForwardNotMatchingPreflights = wrapperspb.Bool(true)
	case "IGNORE":
		out.ForwardNotMatchingPreflights = wrapperspb.Bool(false)
	}
	if cfg, ok := b.toAny(at, out); ok {
		setFilterConfig(rt, CORSFilter, cfg)
	}
}

// corsOrigins translates allowOrigins and the deprecated allowOrigin (exact
// matches). Envoy's CORS filter itself treats an origin matcher that
// matches "*" as "any origin".
func (b *builder) corsOrigins(at loc, in *networkingv1.CorsPolicy) []*matcherv3.StringMatcher {
	var out []*matcherv3.StringMatcher
	for i, o := range in.AllowOrigins {
		oat := at.field("allowOrigins").index(i)
		if o.Regex != nil {
			if reason := checkRegex(*o.Regex); reason != "" {
				b.errs.add(oat.field("regex"), "%s; origin ignored", reason)
				continue
			}
		}
		sm := stringMatcher(o)
		if sm == nil {
			b.errs.add(oat, "one of exact, prefix or regex is required; origin ignored")
			continue
		}
		out = append(out, sm)
	}
	for _, o := range in.AllowOrigin {
		out = append(out, &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: o}})
	}
	return out
}

func setFilterConfig(rt *routev3.Route, filter string, cfg *anypb.Any) {
	if rt.TypedPerFilterConfig == nil {
		rt.TypedPerFilterConfig = map[string]*anypb.Any{}
	}
	rt.TypedPerFilterConfig[filter] = cfg
}
