package xds

import (
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// Envoy has no rate limit action for the peer's principal, so match.from
// reads it from the x-forwarded-client-cert header the connection
// manager writes: Istio's inbound settings (APPEND_FORWARD) on sidecars,
// Istio's gateway default (SANITIZE_SET) on gateways, each with the
// peer's URI alone. Envoy drops the header on a connection without a
// peer certificate (plain text), so a from rule never matches there;
// under mutual TLS the peer's element comes last, after anything the
// caller sent, and the conditions read only the end of the header.

// peerCertDetails are the fields of the peer's XFCC element: its URI
// only. Istio also sets Subject and DNS; a Subject is quoted text that
// may hold ";" and ",", and the URI would no longer end the element.
func peerCertDetails() *hcmv3.HttpConnectionManager_SetCurrentClientCertDetails {
	return &hcmv3.HttpConnectionManager_SetCurrentClientCertDetails{Uri: true}
}

// fromAlternatives are a match.from as alternatives of header matchers,
// every one of which must hold: one principal and one namespace (fields
// AND, values OR, as AuthorizationPolicy's source). Values that may
// match the same peer are kept apart by negating the earlier ones, so a
// request matches at most one alternative. nil without from.
func fromAlternatives(f *policyv1alpha1.SourceMatch) [][]*routev3.HeaderMatcher {
	if f == nil {
		return nil
	}
	alts := [][]*routev3.HeaderMatcher{nil}
	if len(f.Principals) > 0 {
		alts = crossMatchers(alts, exclusiveValues(f.Principals, model.PrincipalCondition))
	}
	if len(f.Namespaces) > 0 {
		alts = crossMatchers(alts, exclusiveValues(f.Namespaces, model.NamespaceCondition))
	}
	return alts
}

// exclusiveValues is one alternative per distinct value: its condition
// and the negation of each earlier value it may overlap.
func exclusiveValues(values []string, cond func(string) model.PeerCondition) [][]*routev3.HeaderMatcher {
	var out [][]*routev3.HeaderMatcher
	var seen []string
	for _, v := range values {
		if contains(seen, v) {
			continue
		}
		alt := []*routev3.HeaderMatcher{peerMatcher(cond(v), false)}
		for _, earlier := range seen {
			if model.PeerValuesOverlap(earlier, v) {
				alt = append(alt, peerMatcher(cond(earlier), true))
			}
		}
		seen = append(seen, v)
		out = append(out, alt)
	}
	return out
}

// crossMatchers is every alternative of a joined with every one of b.
func crossMatchers(a, b [][]*routev3.HeaderMatcher) [][]*routev3.HeaderMatcher {
	var out [][]*routev3.HeaderMatcher
	for _, x := range a {
		for _, y := range b {
			out = append(out, append(append([]*routev3.HeaderMatcher(nil), x...), y...))
		}
	}
	return out
}

func peerMatcher(c model.PeerCondition, invert bool) *routev3.HeaderMatcher {
	h := &routev3.HeaderMatcher{Name: names.ForwardedClientCertHeader, InvertMatch: invert}
	switch {
	case c.Present:
		h.HeaderMatchSpecifier = &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}
	case c.Regex != "":
		h.HeaderMatchSpecifier = &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
			MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: c.Regex}},
		}}
	default:
		h.HeaderMatchSpecifier = &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
			MatchPattern: &matcherv3.StringMatcher_Suffix{Suffix: c.Suffix},
		}}
	}
	return h
}
