package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rlconfv3 "github.com/envoyproxy/go-control-plane/envoy/config/ratelimit/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	"github.com/sailplane/sailplane/internal/meshconfig"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// globalRateLimit puts the policy's global rules into every HTTP
// connection manager of the listeners: one Envoy ratelimit filter per
// provider, after authentication, authorization and the local limit (a
// request refused there costs the service no call), and a cluster to each
// provider's service.
func (g *generator) globalRateLimit(r *model.RateLimit, listeners []*listenerv3.Listener) {
	var filters []*hcmv3.HttpFilter
	var collectors []collector
	for _, p := range globalProviders(r) {
		cfg := globalRateLimitHTTP(r, p)
		if err := cfg.ValidateAll(); err != nil {
			g.rateLimitProblem(r, "", "the generated ratelimit filter for provider %s is invalid (%v); not applied", p.Name, err)
			continue
		}
		filters = append(filters, httpFilter(names.GlobalRateLimitFilter(p.Name), cfg))
		collectors = append(collectors, collector{host: providerHost(p.Service), port: p.Port, grpc: true})
	}
	if len(filters) == 0 {
		return
	}
	applied := false
	for _, l := range listeners {
		for _, fc := range chainsOf(l) {
			for i, f := range fc.Filters {
				if f.Name == names.HTTPConnectionManagerFilter {
					fc.Filters[i] = withGlobalRateLimit(f, filters)
					applied = true
				}
			}
		}
	}
	if !applied {
		return
	}
	clusters, assignments := telemetryClusters(g.m, collectors)
	g.out.Clusters = append(g.out.Clusters, clusters...)
	g.out.Endpoints = append(g.out.Endpoints, assignments...)
}

// globalProviders are the providers the policy's global rules name, by
// name.
func globalProviders(r *model.RateLimit) []meshconfig.RateLimitProvider {
	byName := map[string]meshconfig.RateLimitProvider{}
	for _, rule := range r.GlobalRules {
		byName[rule.Provider.Name] = rule.Provider
	}
	var out []meshconfig.RateLimitProvider
	for _, name := range sortedKeys(byName) {
		out = append(out, byName[name])
	}
	return out
}

// withGlobalRateLimit returns the connection manager filter with the
// ratelimit filters after jwt_authn, RBAC and local_ratelimit.
func withGlobalRateLimit(f *listenerv3.Filter, add []*hcmv3.HttpFilter) *listenerv3.Filter {
	hcm := &hcmv3.HttpConnectionManager{}
	if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
		return f // only our own configs reach here
	}
	at := 0
	for i, h := range hcm.HttpFilters {
		if n := h.GetName(); n == names.JWTAuthnFilter || isRBACFilter(n) || n == names.LocalRateLimitFilter {
			at = i + 1
		}
	}
	filters := append([]*hcmv3.HttpFilter(nil), hcm.HttpFilters[:at]...)
	filters = append(filters, add...)
	hcm.HttpFilters = append(filters, hcm.HttpFilters[at:]...)
	return hcmFilter(hcm)
}

// globalRateLimitHTTP is one provider's rules as a ratelimit filter: for
// each rule, route-independent rate_limits that produce the descriptor
// {sailplane_rule: <rule name>} for the requests its match selects (every
// request for a rule without match). The service's own configuration for
// the provider's domain holds the limits.
func globalRateLimitHTTP(r *model.RateLimit, p meshconfig.RateLimitProvider) *rlv3.RateLimit {
	cfg := &rlv3.RateLimit{
		Domain:          p.Domain,
		Timeout:         durationpb.New(p.Timeout),
		FailureModeDeny: p.FailureModeDeny,
		StatPrefix:      p.Name,
		// As for the local limit: RESOURCE_EXHAUSTED is not retried by
		// gRPC clients, UNAVAILABLE would be.
		RateLimitedAsResourceExhausted: true,
		RateLimitedStatus:              &typev3.HttpStatus{Code: typev3.StatusCode(r.Status)},
		RateLimitService: &rlconfv3.RateLimitServiceConfig{
			TransportApiVersion: corev3.ApiVersion_V3,
			GrpcService: &corev3.GrpcService{TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{
				ClusterName: names.RateLimitServiceCluster(p.Port, providerHost(p.Service)),
			}}},
		},
	}
	if r.DryRun {
		cfg.FilterEnforced = percent(0)
	}
	if r.LimitHeaders {
		cfg.EnableXRatelimitHeaders = rlv3.RateLimit_DRAFT_VERSION_03
	}
	cfg.ResponseHeadersToAdd = refusalHeaders(r)
	for _, rule := range r.GlobalRules {
		if rule.Provider.Name == p.Name {
			cfg.RateLimits = append(cfg.RateLimits, globalRuleActions(rule)...)
		}
	}
	return cfg
}

// globalRuleActions produce a rule's descriptor: a generic key for a rule
// without match, a header match per alternative of its match otherwise,
// followed by one entry per header the match names, keyed by the header
// name and carrying the request's value, so the service can count each
// value apart (a per-user limit on x-user-id).
func globalRuleActions(rule model.GlobalRateLimitRule) []*routev3.RateLimit {
	if rule.Match == nil {
		return []*routev3.RateLimit{{Actions: []*routev3.RateLimit_Action{{
			ActionSpecifier: &routev3.RateLimit_Action_GenericKey_{GenericKey: &routev3.RateLimit_Action_GenericKey{
				DescriptorKey: names.RateLimitRuleKey, DescriptorValue: rule.Name,
			}},
		}}}}
	}
	var out []*routev3.RateLimit
	for _, headers := range rateLimitMatchers(rule.Match) {
		actions := []*routev3.RateLimit_Action{{
			ActionSpecifier: &routev3.RateLimit_Action_HeaderValueMatch_{HeaderValueMatch: &routev3.RateLimit_Action_HeaderValueMatch{
				DescriptorKey: names.RateLimitRuleKey, DescriptorValue: rule.Name,
				ExpectMatch: wrapperspb.Bool(true), Headers: headers,
			}},
		}}
		out = append(out, &routev3.RateLimit{Actions: append(actions, headerValueActions(rule.Match)...)})
	}
	return out
}

// headerValueActions are the descriptor entries {<header>: <value>} of
// the match's headers, in name order. The match requires each header, so
// Envoy (which drops a descriptor when a request_headers header is
// absent) always sends the descriptor for a request the rule counts.
func headerValueActions(mt *policyv1alpha1.RateLimitMatch) []*routev3.RateLimit_Action {
	var out []*routev3.RateLimit_Action
	for _, name := range sortedKeys(mt.Headers) {
		out = append(out, &routev3.RateLimit_Action{ActionSpecifier: &routev3.RateLimit_Action_RequestHeaders_{RequestHeaders: &routev3.RateLimit_Action_RequestHeaders{
			HeaderName: name, DescriptorKey: name,
		}}})
	}
	return out
}
