package xds

import (
	"fmt"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// jwtAuthnFilters is the jwt_authn filter of the proxy's inbound (sidecar)
// or gateway HTTP connection managers, which goes first in their filter
// chain; nil when no RequestAuthentication applies to the proxy's
// workload.
func (g *generator) jwtAuthnFilters() []*hcmv3.HttpFilter {
	cfg := g.jwtAuthentication()
	if cfg == nil {
		return nil
	}
	return []*hcmv3.HttpFilter{httpFilter(names.JWTAuthnFilter, cfg)}
}

// jwtAuthentication is the jwt_authn config of the proxy's workload: one
// provider per applicable jwtRule and one requirement for every request,
// "any provider verifies the token, or there is none" (Istio's
// semantics): a request whose token fails every provider (bad signature,
// issuer or audience, expired, an issuer no rule names) is refused with
// 401, one without a token passes and AuthorizationPolicy decides. Rules
// with presence REQUIRED are each required on top of that.
func (g *generator) jwtAuthentication() *jwtv3.JwtAuthentication {
	rules := g.jwtRules()
	if len(rules) == 0 {
		return nil
	}
	cfg := &jwtv3.JwtAuthentication{Providers: map[string]*jwtv3.JwtProvider{}, BypassCorsPreflight: true}
	var required, optional []*jwtv3.JwtRequirement
	for i, r := range rules {
		name := names.JWTProvider(i)
		cfg.Providers[name] = g.validProvider(r)
		req := &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_ProviderName{ProviderName: name}}
		if r.Required {
			required = append(required, req)
		} else {
			optional = append(optional, req)
		}
	}
	cfg.Rules = []*jwtv3.RequirementRule{{
		Match:           &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		RequirementType: &jwtv3.RequirementRule_Requires{Requires: jwtRequirement(required, optional)},
	}}
	return cfg
}

// jwtRequirement is "every required provider, and any provider or no
// token". Envoy's allow_missing reads tokens only where the providers of
// its own requires_any list read them, and refuses a token whose issuer is
// not among theirs: so the list names every provider, the required ones
// too, or a valid token of a required issuer would fail it. A list of one
// is that one requirement (Envoy wants at least two in a list).
func jwtRequirement(required, optional []*jwtv3.JwtRequirement) *jwtv3.JwtRequirement {
	all := required
	if len(optional) > 0 {
		missing := &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_AllowMissing{AllowMissing: &emptypb.Empty{}}}
		alternatives := append(append(slices.Clone(required), optional...), missing)
		all = append(slices.Clone(required), &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_RequiresAny{
			RequiresAny: &jwtv3.JwtRequirementOrList{Requirements: alternatives},
		}})
	}
	if len(all) == 1 {
		return all[0]
	}
	return &jwtv3.JwtRequirement{RequiresType: &jwtv3.JwtRequirement_RequiresAll{
		RequiresAll: &jwtv3.JwtRequirementAndList{Requirements: all},
	}}
}

// jwtRules are the rules that apply to the proxy's workload, one per
// issuer: Envoy's allow_missing picks the provider by the token's issuer,
// so two providers of one issuer would be ambiguous. The first (the
// workload's namespace before the root namespace, older before newer)
// wins; the model reports the later rule.
func (g *generator) jwtRules() []*model.JWTRule {
	var out []*model.JWTRule
	seen := map[string]bool{}
	for _, r := range g.m.JWTRulesFor(g.proxy.Namespace, g.proxy.Labels) {
		if !seen[r.Issuer] {
			seen[r.Issuer] = true
			out = append(out, r)
		}
	}
	return out
}

// validProvider is the rule's provider, or, when Envoy would refuse it
// (which would cost the whole listener), one that reads the issuer's
// tokens where the defaults say and verifies none, so they are refused.
func (g *generator) validProvider(r *model.JWTRule) *jwtv3.JwtProvider {
	p := jwtProvider(r)
	err := p.ValidateAll()
	if err == nil {
		return p
	}
	g.problem(raObject(r), fmt.Sprintf("jwtRules[%d]", r.Index),
		fmt.Sprintf("invalid Envoy jwt_authn provider (%v); no token of issuer %q verifies", err, r.Issuer))
	return jwtProvider(&model.JWTRule{
		Issuer:      r.Issuer,
		JWKS:        defaults.UnusableJWKS,
		FromHeaders: []model.JWTHeader{{Name: defaults.JWTHeader, Prefix: defaults.JWTHeaderPrefix}},
		FromParams:  []string{defaults.JWTParam},
	})
}

// spaceDelimited is Istio's always-split claims and the rule's own, each
// once.
func spaceDelimited(own []string) []string {
	out := defaults.JWTSpaceDelimitedClaims()
	for _, c := range own {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func raObject(r *model.JWTRule) model.ObjectRef {
	return model.ObjectRef{Kind: "RequestAuthentication", NamespacedName: r.Policy}
}

// jwtProvider is one jwtRule as an Envoy provider. The verified payload
// goes into the filter's dynamic metadata under names.JWTPayloadKey, where
// RBAC reads request principals and claims.
func jwtProvider(r *model.JWTRule) *jwtv3.JwtProvider {
	p := &jwtv3.JwtProvider{
		Issuer:               r.Issuer,
		Audiences:            r.Audiences,
		Forward:              r.ForwardOriginalToken,
		FromParams:           r.FromParams,
		FromCookies:          r.FromCookies,
		ForwardPayloadHeader: r.OutputPayloadToHeader,
		PayloadInMetadata:    names.JWTPayloadKey,
		NormalizePayloadInMetadata: &jwtv3.JwtProvider_NormalizePayload{
			SpaceDelimitedClaims: spaceDelimited(r.SpaceDelimitedClaims),
		},
	}
	for _, h := range r.FromHeaders {
		p.FromHeaders = append(p.FromHeaders, &jwtv3.JwtHeader{Name: h.Name, ValuePrefix: h.Prefix})
	}
	for _, c := range r.ClaimToHeaders {
		p.ClaimToHeaders = append(p.ClaimToHeaders, &jwtv3.JwtClaimToHeader{HeaderName: c.Header, ClaimName: c.Claim})
	}
	if u := r.JWKSURI; u != nil {
		p.JwksSourceSpecifier = &jwtv3.JwtProvider_RemoteJwks{RemoteJwks: &jwtv3.RemoteJwks{
			HttpUri: &corev3.HttpUri{
				Uri:              u.URI,
				HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: names.JWKSCluster(u.Host, u.Port)},
				Timeout:          durationpb.New(u.Timeout),
			},
			CacheDuration: durationpb.New(defaults.JWKSCacheDuration),
		}}
		return p
	}
	p.JwksSourceSpecifier = &jwtv3.JwtProvider_LocalJwks{LocalJwks: &corev3.DataSource{
		Specifier: &corev3.DataSource_InlineString{InlineString: r.JWKS},
	}}
	return p
}
