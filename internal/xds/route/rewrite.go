package route

import (
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// rewrite applies the authority and regex rewrites; the uri rewrite depends
// on each route's match and is applied per route (rewriteURI).
func (b *builder) rewrite(at loc, rw *networkingv1.HTTPRewrite, act *routev3.RouteAction) bool {
	if rw == nil {
		return true
	}
	if rw.Authority != "" {
		act.HostRewriteSpecifier = &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: rw.Authority}
	}
	if rr := rw.URIRegexRewrite; rr != nil {
		if reason := checkRegex(rr.Match); reason != "" {
			b.errs.add(at.field("uriRegexRewrite").field("match"), "%s", reason)
			return false
		}
		act.RegexRewrite = &matcherv3.RegexMatchAndSubstitute{Pattern: regexMatcher(rr.Match), Substitution: rr.Rewrite}
	}
	return true
}

// fullPath matches the whole path (Envoy's regex_rewrite sees the path
// without its query string, and keeps the query).
const fullPath = "^.*$"

// rewriteURI applies rewrite.uri as Istio documents it: with a prefix match
// the matched prefix is replaced; with any other match (exact, regex, or no
// uri condition) the whole path is.
func rewriteURI(act *routev3.RouteAction, uri string, u *cond) {
	if u != nil && kindOf(u.m.URI) == kindPrefix {
		act.PrefixRewrite = uri
		return
	}
	// In a substitution a backslash starts a group reference (\1); the
	// user's uri is literal.
	act.RegexRewrite = &matcherv3.RegexMatchAndSubstitute{
		Pattern:      regexMatcher(fullPath),
		Substitution: strings.ReplaceAll(uri, `\`, `\\`),
	}
}
