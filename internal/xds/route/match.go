package route

import (
	"slices"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// cond is one HTTPMatchRequest with what is needed to decide it for a proxy
// and to report its errors.
type cond struct {
	m  networkingv1.HTTPMatchRequest
	at loc // the match itself, or the rule when it has no match
	// gateways apply when the match names none; nil means no constraint
	// (a delegate's match: the parent already decided the gateways).
	gateways []string
}

// matchConds returns one condition per valid match, or a single catch-all
// condition when the rule has no match. Matches with a regex Envoy would
// reject are reported and left out; empty means every match was invalid.
func (b *builder) matchConds(at loc, ms []networkingv1.HTTPMatchRequest, gateways []string) []cond {
	if len(ms) == 0 {
		return []cond{{at: at, gateways: gateways}}
	}
	var out []cond
	for j, m := range ms {
		mat := at.field("match").index(j)
		if b.validMatch(mat, &m) {
			out = append(out, cond{m: m, at: mat, gateways: gateways})
		}
	}
	return out
}

// validMatch checks every regex of the match as Envoy will (RE2 syntax
// and program size), so a bad one fails here, costing this match only, and
// not as a NACK that would reject the whole route configuration.
func (b *builder) validMatch(at loc, m *networkingv1.HTTPMatchRequest) bool {
	ok := true
	check := func(where loc, s *networkingv1.StringMatch, star bool) {
		if s == nil || s.Regex == nil || (star && *s.Regex == "*") {
			return
		}
		re := *s.Regex
		if s == m.URI && m.IgnoreURICase {
			re = "(?i)" + re // what routeMatch sends
		}
		if reason := checkRegex(re); reason != "" {
			b.errs.add(where.field("regex"), "%s", reason)
			ok = false
		}
	}
	check(at.field("uri"), m.URI, false)
	check(at.field("scheme"), m.Scheme, false)
	check(at.field("method"), m.Method, false)
	check(at.field("authority"), m.Authority, false)
	for _, f := range []struct {
		name string
		m    map[string]networkingv1.StringMatch
		star bool
	}{{"headers", m.Headers, true}, {"withoutHeaders", m.WithoutHeaders, true}, {"queryParams", m.QueryParams, false}} {
		for _, k := range sortedKeys(f.m) {
			s := f.m[k]
			check(at.field(f.name).key(k), &s, f.star)
		}
	}
	return ok
}

// routeName is the rule's name, or "<rule>.<match>" when the match (for a
// delegated rule, parent and child matches joined by "-") is named too.
func routeName(ruleName string, cs []cond) string {
	var parts []string
	for _, c := range cs {
		if c.m.Name != "" {
			parts = append(parts, c.m.Name)
		}
	}
	matchName := strings.Join(parts, "-")
	switch {
	case ruleName == "":
		return matchName
	case matchName == "":
		return ruleName
	}
	return ruleName + "." + matchName
}

// statPrefix is the match's statPrefix (Envoy then emits per-route stats
// under it); a delegate's wins over its parent's.
func statPrefix(cs []cond) string {
	for i := len(cs) - 1; i >= 0; i-- {
		if cs[i].m.StatPrefix != "" {
			return cs[i].m.StatPrefix
		}
	}
	return ""
}

// uriCond is the condition whose uri becomes the route's path matcher: the
// last one that has a uri, because a delegate's uri is checked to be at
// least as specific as its parent's (see delegate.go).
func uriCond(cs []cond) *cond {
	for i := len(cs) - 1; i >= 0; i-- {
		if kindOf(cs[i].m.URI) != kindNone {
			return &cs[i]
		}
	}
	return nil
}

// routeMatch ANDs the conditions into one Envoy RouteMatch. Envoy ANDs every
// header and query matcher, even several on one name, so a delegate's
// conditions are simply added to its parent's.
func routeMatch(cs []cond) *routev3.RouteMatch {
	rm := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}
	if u := uriCond(cs); u != nil {
		s := u.m.URI
		switch kindOf(s) {
		case kindExact:
			rm.PathSpecifier = &routev3.RouteMatch_Path{Path: *s.Exact}
		case kindPrefix:
			rm.PathSpecifier = &routev3.RouteMatch_Prefix{Prefix: *s.Prefix}
		case kindRegex:
			re := *s.Regex
			if u.m.IgnoreURICase {
				// Envoy's case_sensitive does not apply to safe_regex;
				// Istio makes the regex itself case-insensitive.
				re = "(?i)" + re
			}
			rm.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: regexMatcher(re)}
		}
		if u.m.IgnoreURICase && kindOf(s) != kindRegex {
			rm.CaseSensitive = wrapperspb.Bool(false)
		}
	}
	for _, c := range cs {
		rm.Headers = appendUnique(rm.Headers, headerMatchers(&c.m)...)
		rm.QueryParameters = appendUnique(rm.QueryParameters, queryMatchers(&c.m)...)
	}
	return rm
}

// headerMatchers translates method, authority, scheme (HTTP/2 pseudo-headers,
// which Envoy matches like headers), headers and withoutHeaders, each map in
// key order so the output is deterministic.
func headerMatchers(m *networkingv1.HTTPMatchRequest) []*routev3.HeaderMatcher {
	var out []*routev3.HeaderMatcher
	for _, p := range []struct {
		name string
		s    *networkingv1.StringMatch
	}{{":method", m.Method}, {":authority", m.Authority}, {":scheme", m.Scheme}} {
		if p.s != nil {
			out = append(out, headerMatcher(p.name, *p.s, false))
		}
	}
	for _, k := range sortedKeys(m.Headers) {
		out = append(out, headerMatcher(k, m.Headers[k], false))
	}
	for _, k := range sortedKeys(m.WithoutHeaders) {
		out = append(out, headerMatcher(k, m.WithoutHeaders[k], true))
	}
	return out
}

// headerMatcher matches a header's value, or its presence when Istio's
// match says "any value": an empty match, `regex: "*"`, or an empty prefix.
func headerMatcher(name string, s networkingv1.StringMatch, invert bool) *routev3.HeaderMatcher {
	hm := &routev3.HeaderMatcher{Name: name, InvertMatch: invert}
	if sm := stringMatcher(s); sm != nil && !(s.Regex != nil && *s.Regex == "*") {
		hm.HeaderMatchSpecifier = &routev3.HeaderMatcher_StringMatch{StringMatch: sm}
	} else {
		hm.HeaderMatchSpecifier = &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}
	}
	return hm
}

// queryMatchers translates queryParams; an empty match means "present".
func queryMatchers(m *networkingv1.HTTPMatchRequest) []*routev3.QueryParameterMatcher {
	var out []*routev3.QueryParameterMatcher
	for _, k := range sortedKeys(m.QueryParams) {
		qm := &routev3.QueryParameterMatcher{Name: k}
		if sm := stringMatcher(m.QueryParams[k]); sm != nil {
			qm.QueryParameterMatchSpecifier = &routev3.QueryParameterMatcher_StringMatch{StringMatch: sm}
		} else {
			qm.QueryParameterMatchSpecifier = &routev3.QueryParameterMatcher_PresentMatch{PresentMatch: true}
		}
		out = append(out, qm)
	}
	return out
}

type matchKind int

const (
	kindNone matchKind = iota
	kindExact
	kindPrefix
	kindRegex
)

// kindOf says which of exact, prefix or regex is set (the CRD allows one).
func kindOf(s *networkingv1.StringMatch) matchKind {
	switch {
	case s == nil:
		return kindNone
	case s.Exact != nil:
		return kindExact
	case s.Prefix != nil:
		return kindPrefix
	case s.Regex != nil:
		return kindRegex
	}
	return kindNone
}

// stringMatcher converts a StringMatch; nil when it matches any value
// (nothing set, or an empty prefix, which Envoy's validation refuses).
func stringMatcher(s networkingv1.StringMatch) *matcherv3.StringMatcher {
	switch kindOf(&s) {
	case kindExact:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: *s.Exact}}
	case kindPrefix:
		if *s.Prefix == "" {
			return nil
		}
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: *s.Prefix}}
	case kindRegex:
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: regexMatcher(*s.Regex)}}
	}
	return nil
}

// regexMatcher leaves engine_type unset: RE2 is Envoy's only engine and
// its default, and the google_re2 field is deprecated in Envoy's API.
func regexMatcher(re string) *matcherv3.RegexMatcher {
	return &matcherv3.RegexMatcher{Regex: re}
}

// appendUnique appends the messages not already present, so a condition a
// delegate repeats from its parent is matched once.
func appendUnique[T proto.Message](list []T, items ...T) []T {
	for _, it := range items {
		if !slices.ContainsFunc(list, func(x T) bool { return proto.Equal(x, it) }) {
			list = append(list, it)
		}
	}
	return list
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
