package xds

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	ratelimitv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/common/ratelimit/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	netlrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/local_ratelimit/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// rateLimit puts the proxy's RateLimitPolicy into its listeners: every
// HTTP connection manager gets Envoy's local_ratelimit filter right after
// authentication and authorization (a request refused by RBAC spends no
// token), every TCP chain of a workload or gateway port the network
// local_ratelimit filter before its tcp_proxy when a rule counts every
// connection. Sidecars pass their inbound listener, gateways their
// servers' listeners.
func (g *generator) rateLimit(listeners []*listenerv3.Listener) {
	r := g.m.RateLimitFor(g.proxy.Namespace, g.proxy.Labels, g.gateways)
	if r == nil {
		return
	}
	g.globalRateLimit(r, listeners)
	if len(r.Rules) == 0 {
		return
	}
	httpCfg := localRateLimitHTTP(r)
	if err := httpCfg.ValidateAll(); err != nil {
		g.rateLimitProblem(r, "", "the generated local_ratelimit filter is invalid (%v); not applied", err)
		return
	}
	tcpCfg := localRateLimitTCP(r)
	for _, l := range listeners {
		for _, fc := range chainsOf(l) {
			// The passthrough chains of virtualInbound (no port) are left
			// alone: they carry ports no service names.
			ported := fc.GetFilterChainMatch().GetDestinationPort().GetValue() != 0 || l.GetName() != names.VirtualInbound
			g.rateLimitChain(r, fc, httpCfg, tcpCfg, ported)
		}
	}
}

func (g *generator) rateLimitChain(r *model.RateLimit, fc *listenerv3.FilterChain, httpCfg *lrlv3.LocalRateLimit, tcpCfg *netlrlv3.LocalRateLimit, ported bool) {
	var out []*listenerv3.Filter
	for _, f := range fc.Filters {
		switch {
		case f.Name == names.HTTPConnectionManagerFilter:
			f = withLocalRateLimit(f, httpCfg)
		case f.Name == names.TCPProxyFilter && ported && tcpCfg != nil && r.DryRun:
			g.rateLimitProblem(r, "spec.dryRun", "TCP ports are not limited in dry run: Envoy's network local_ratelimit has no count-only mode")
		case f.Name == names.TCPProxyFilter && ported && tcpCfg != nil:
			out = append(out, &listenerv3.Filter{
				Name:       names.LocalRateLimitNetworkFilter,
				ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(tcpCfg)},
			})
		}
		out = append(out, f)
	}
	fc.Filters = out
}

// proxylessRateLimit reports a policy selecting a proxyless gRPC server
// (a pod with server listeners): the HTTP filters grpc-go's xDS support
// registers (router, fault, rbac, ext_authz, ext_proc, gcp_authn in
// v1.85) include neither local_ratelimit nor ratelimit, and a server
// NACKs a listener with a filter it does not know, so nothing is sent.
func (g *generator) proxylessRateLimit() {
	r := g.m.RateLimitFor(g.proxy.Namespace, g.proxy.Labels, nil)
	if r == nil || len(r.Rules)+len(r.GlobalRules) == 0 || len(g.out.Listeners) == 0 {
		return
	}
	g.rateLimitProblem(r, "", "not applied to proxyless gRPC servers (namespace %s): gRPC's xDS support has no local_ratelimit or ratelimit filter, so its %d local and %d global rules limit nothing there; limit in the server (an interceptor) or give it a sidecar", g.proxy.Namespace, len(r.Rules), len(r.GlobalRules))
}

func (g *generator) rateLimitProblem(r *model.RateLimit, field, format string, args ...any) {
	g.problem(model.RateLimitRef(r.Ref), field, fmt.Sprintf(format, args...))
}

// withLocalRateLimit returns the connection manager filter with the
// local_ratelimit filter after jwt_authn and the RBAC filters.
func withLocalRateLimit(f *listenerv3.Filter, cfg *lrlv3.LocalRateLimit) *listenerv3.Filter {
	hcm := &hcmv3.HttpConnectionManager{}
	if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
		return f // only our own configs reach here
	}
	at := 0
	for i, h := range hcm.HttpFilters {
		if h.GetName() == names.JWTAuthnFilter || isRBACFilter(h.GetName()) {
			at = i + 1
		}
	}
	filters := append([]*hcmv3.HttpFilter(nil), hcm.HttpFilters[:at]...)
	filters = append(filters, httpFilter(names.LocalRateLimitFilter, cfg))
	hcm.HttpFilters = append(filters, hcm.HttpFilters[at:]...)
	return hcmFilter(hcm)
}

func isRBACFilter(name string) bool {
	return name == names.RBACFilter || strings.HasPrefix(name, names.RBACFilter+".")
}

// localRateLimitHTTP is the policy as one local_ratelimit filter: the
// rule without match is the filter's own bucket, each rule with a match a
// descriptor ({sailplane_rule: <name>}) with its bucket, which the
// filter's rate_limits produce for the requests the match selects. Every
// matching bucket is consumed (always_consume_default_token_bucket), and
// the buckets are shared by all connections (never per connection).
func localRateLimitHTTP(r *model.RateLimit) *lrlv3.LocalRateLimit {
	enforced := uint32(100)
	if r.DryRun {
		enforced = 0
	}
	cfg := &lrlv3.LocalRateLimit{
		StatPrefix:                            names.LocalRateLimitStatPrefix,
		Status:                                &typev3.HttpStatus{Code: typev3.StatusCode(r.Status)},
		FilterEnabled:                         percent(100),
		FilterEnforced:                        percent(enforced),
		LocalRateLimitPerDownstreamConnection: false,
		AlwaysConsumeDefaultTokenBucket:       wrapperspb.Bool(true),
		// A refused gRPC call gets RESOURCE_EXHAUSTED, not Envoy's default
		// UNAVAILABLE, which gRPC clients retry: retries would add load
		// exactly where the limit says there is too much.
		RateLimitedAsResourceExhausted: true,
	}
	if r.LimitHeaders {
		cfg.EnableXRatelimitHeaders = ratelimitv3.XRateLimitHeadersRFCVersion_DRAFT_VERSION_03
	}
	cfg.ResponseHeadersToAdd = refusalHeaders(r)
	for _, rule := range r.Rules {
		if rule.Match == nil {
			cfg.TokenBucket = tokenBucket(rule)
			continue
		}
		cfg.Descriptors = append(cfg.Descriptors, &ratelimitv3.LocalRateLimitDescriptor{
			Entries:     []*ratelimitv3.RateLimitDescriptor_Entry{{Key: names.RateLimitRuleKey, Value: rule.Name}},
			TokenBucket: tokenBucket(rule),
		})
		for _, headers := range rateLimitMatchers(rule.Match) {
			cfg.RateLimits = append(cfg.RateLimits, &routev3.RateLimit{Actions: []*routev3.RateLimit_Action{{
				ActionSpecifier: &routev3.RateLimit_Action_HeaderValueMatch_{HeaderValueMatch: &routev3.RateLimit_Action_HeaderValueMatch{
					DescriptorKey:   names.RateLimitRuleKey,
					DescriptorValue: rule.Name,
					ExpectMatch:     wrapperspb.Bool(true),
					Headers:         headers,
				}},
			}}})
		}
	}
	return cfg
}

// localRateLimitTCP is the connection bucket of the rule without match,
// one for all the proxy's TCP chains (share_key); nil when every rule
// matches part of the HTTP traffic only.
func localRateLimitTCP(r *model.RateLimit) *netlrlv3.LocalRateLimit {
	for _, rule := range r.Rules {
		if rule.Match == nil {
			return &netlrlv3.LocalRateLimit{
				StatPrefix:  names.LocalRateLimitTCPStatPrefix,
				TokenBucket: tokenBucket(rule),
				ShareKey:    names.RateLimitShareKey(r.Ref.Namespace, r.Ref.Name, rule.Name),
			}
		}
	}
	return nil
}

func tokenBucket(rule model.RateLimitRule) *typev3.TokenBucket {
	return &typev3.TokenBucket{
		MaxTokens:     rule.MaxTokens,
		TokensPerFill: wrapperspb.UInt32(rule.TokensPerFill),
		FillInterval:  durationpb.New(rule.FillInterval),
	}
}

func percent(n uint32) *corev3.RuntimeFractionalPercent {
	return &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{Numerator: n, Denominator: typev3.FractionalPercent_HUNDRED}}
}

// rateLimitMatchers are a rule's match as header matchers, all of
// which must match, in one or two alternatives producing the same
// descriptor. An exact path ignores the query string, as route matching
// does: ":path" is either the path or the path followed by "?" (two
// alternatives rather than a regex, which Envoy caps at a program size a
// long path would exceed). A request matches at most one alternative.
//
// A match.from multiplies the alternatives by its own (ratelimit_from.go).
func rateLimitMatchers(mt *policyv1alpha1.RateLimitMatch) [][]*routev3.HeaderMatcher {
	alts := pathAlternatives(mt, rateLimitHeaders(mt.Method, mt.Headers))
	if from := fromAlternatives(mt.From); from != nil {
		alts = crossMatchers(alts, from)
	}
	return alts
}

func pathAlternatives(mt *policyv1alpha1.RateLimitMatch, rest []*routev3.HeaderMatcher) [][]*routev3.HeaderMatcher {
	switch p := mt.Path; {
	case p == nil:
		return [][]*routev3.HeaderMatcher{rest}
	case p.Exact != nil:
		exact := stringHeader(":path", &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: *p.Exact}})
		query := stringHeader(":path", &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: *p.Exact + "?"}})
		return [][]*routev3.HeaderMatcher{append([]*routev3.HeaderMatcher{exact}, rest...), append([]*routev3.HeaderMatcher{query}, rest...)}
	default:
		prefix := stringHeader(":path", &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: *p.Prefix}})
		return [][]*routev3.HeaderMatcher{append([]*routev3.HeaderMatcher{prefix}, rest...)}
	}
}

// rateLimitHeaders are the method and header conditions of a match.
func rateLimitHeaders(method string, headers map[string]networkingv1.StringMatch) []*routev3.HeaderMatcher {
	var out []*routev3.HeaderMatcher
	if method != "" {
		out = append(out, stringHeader(":method", &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: method}}))
	}
	for _, name := range sortedKeys(headers) {
		h := headers[name]
		switch {
		case h.Exact != nil:
			out = append(out, stringHeader(name, &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: *h.Exact}}))
		case h.Prefix != nil:
			out = append(out, stringHeader(name, &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: *h.Prefix}}))
		case h.Regex != nil:
			out = append(out, stringHeader(name, &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: *h.Regex}}}))
		default:
			out = append(out, &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}})
		}
	}
	return out
}

func stringHeader(name string, sm *matcherv3.StringMatcher) *routev3.HeaderMatcher {
	return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: sm}}
}

// RateLimitFor is the RateLimitPolicy that applies to the proxy (nil for
// none), as the translation picks it.
func RateLimitFor(m *model.Model, p Proxy) *model.RateLimit {
	return m.RateLimitFor(p.Namespace, p.Labels, p.gatewayNames(m))
}

// refusalHeaders are the headers a policy adds to the responses it
// refuses, set over any the upstream would have set; the local and the
// global filter add the same ones.
func refusalHeaders(r *model.RateLimit) []*corev3.HeaderValueOption {
	var out []*corev3.HeaderValueOption
	for _, h := range r.ResponseHeaders {
		out = append(out, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: h.Name, Value: h.Value},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		})
	}
	return out
}
