package xds

import (
	"strings"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// istioString is how Istio matches an AuthorizationPolicy value: "*"
// alone is presence (anything non-empty), a leading "*" a suffix match, a
// trailing "*" a prefix match, anything else exact. prefix is prepended
// to what the value pins down from the start (spiffe:// for principals).
func istioString(v, prefix string, ignoreCase bool) *matcherv3.StringMatcher {
	m := &matcherv3.StringMatcher{IgnoreCase: ignoreCase}
	switch {
	case v == "*":
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: ".+"}}}
	case strings.HasPrefix(v, "*"):
		m.MatchPattern = &matcherv3.StringMatcher_Suffix{Suffix: v[1:]}
	case strings.HasSuffix(v, "*"):
		m.MatchPattern = &matcherv3.StringMatcher_Prefix{Prefix: prefix + v[:len(v)-1]}
	default:
		m.MatchPattern = &matcherv3.StringMatcher_Exact{Exact: prefix + v}
	}
	return m
}

// headerMatch matches a request header as Istio does; "*" is presence.
func headerMatch(name, v string, ignoreCase bool) *routev3.HeaderMatcher {
	if v == "*" {
		return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}}
	}
	return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: istioString(v, "", ignoreCase)}}
}

// jwtValue matches a claim of the verified JWT payload jwt_authn left in
// its dynamic metadata: a string claim equal to (or matching) v, or a
// list claim with such an element ("*": the claim is present).
func jwtValue(path []string, v string) *matcherv3.MetadataMatcher {
	return metadataValue(names.JWTAuthnFilter, append([]string{names.JWTPayloadKey}, path...), v)
}

func metadataValue(filter string, path []string, v string) *matcherv3.MetadataMatcher {
	m := &matcherv3.MetadataMatcher{Filter: filter}
	for _, k := range path {
		m.Path = append(m.Path, &matcherv3.MetadataMatcher_PathSegment{Segment: &matcherv3.MetadataMatcher_PathSegment_Key{Key: k}})
	}
	if v == "*" {
		m.Value = &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_PresentMatch{PresentMatch: true}}
		return m
	}
	str := &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_StringMatch{StringMatch: istioString(v, "", false)}}
	list := &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_ListMatch{ListMatch: &matcherv3.ListMatcher{
		MatchPattern: &matcherv3.ListMatcher_OneOf{OneOf: str},
	}}}
	m.Value = &matcherv3.ValueMatcher{MatchPattern: &matcherv3.ValueMatcher_OrMatch{OrMatch: &matcherv3.OrMatcher{
		ValueMatchers: []*matcherv3.ValueMatcher{str, list},
	}}}
	return m
}

func metadataID(m *matcherv3.MetadataMatcher) *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_Metadata{Metadata: m}}
}

// claimPath reads "[a][b]" (the part of request.auth.claims[a][b] after
// "claims") into its keys.
func claimPath(s string) []string {
	var out []string
	for _, part := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), "][") {
		out = append(out, part)
	}
	return out
}

var (
	anyID   = &rbacv3.Principal{Identifier: &rbacv3.Principal_Any{Any: true}}
	anyRule = &rbacv3.Permission{Rule: &rbacv3.Permission_Any{Any: true}}
)

func isAnyID(p *rbacv3.Principal) bool    { return p.GetAny() }
func isAnyRule(p *rbacv3.Permission) bool { return p.GetAny() }
func notID(p *rbacv3.Principal) *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_NotId{NotId: p}}
}
func notRule(p *rbacv3.Permission) *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_NotRule{NotRule: p}}
}

// orIDs matches any of ids; none at all leaves the field unconstrained.
func orIDs(ids []*rbacv3.Principal) *rbacv3.Principal {
	switch len(ids) {
	case 0:
		return anyID
	case 1:
		return ids[0]
	}
	for _, id := range ids {
		if isAnyID(id) {
			return anyID
		}
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_OrIds{OrIds: &rbacv3.Principal_Set{Ids: ids}}}
}

// andIDs matches all of ids (those that match anything drop out).
func andIDs(ids []*rbacv3.Principal) *rbacv3.Principal {
	var kept []*rbacv3.Principal
	for _, id := range ids {
		if !isAnyID(id) {
			kept = append(kept, id)
		}
	}
	switch len(kept) {
	case 0:
		return anyID
	case 1:
		return kept[0]
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_AndIds{AndIds: &rbacv3.Principal_Set{Ids: kept}}}
}

func orRules(rules []*rbacv3.Permission) *rbacv3.Permission {
	switch len(rules) {
	case 0:
		return anyRule
	case 1:
		return rules[0]
	}
	for _, r := range rules {
		if isAnyRule(r) {
			return anyRule
		}
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_OrRules{OrRules: &rbacv3.Permission_Set{Rules: rules}}}
}

func andRules(rules []*rbacv3.Permission) *rbacv3.Permission {
	var kept []*rbacv3.Permission
	for _, r := range rules {
		if !isAnyRule(r) {
			kept = append(kept, r)
		}
	}
	switch len(kept) {
	case 0:
		return anyRule
	case 1:
		return kept[0]
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_AndRules{AndRules: &rbacv3.Permission_Set{Rules: kept}}}
}
