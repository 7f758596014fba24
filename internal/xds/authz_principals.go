package xds

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
)

// spiffePrefix starts every peer principal Envoy sees: the URI SAN of the
// client certificate the mesh root validated.
const spiffePrefix = "spiffe://"

// source is a rule's from.source: every field set must match (AND), any
// value of a field may (OR), a not* field must match none of its values.
func (b *ruleBuilder) source(field string, s *securityv1.AuthorizationSource) *rbacv3.Principal {
	if s == nil {
		return anyID
	}
	var ids []*rbacv3.Principal
	add := func(name string, vals []string, need need, negate bool, one func(string) *rbacv3.Principal) {
		if len(vals) == 0 || !b.usable(field+"."+name, need) {
			return
		}
		var or []*rbacv3.Principal
		for _, v := range vals {
			or = append(or, one(v))
		}
		if negate {
			ids = append(ids, notID(orIDs(or)))
			return
		}
		ids = append(ids, orIDs(or))
	}
	add("principals", strs(s.Principals), needL4, false, peerPrincipal)
	add("notPrincipals", strs(s.NotPrincipals), needL4, true, peerPrincipal)
	add("requestPrincipals", strs(s.RequestPrincipals), needJWT, false, requestPrincipal)
	add("notRequestPrincipals", strs(s.NotRequestPrincipals), needJWT, true, requestPrincipal)
	add("namespaces", strs(s.Namespaces), needL4, false, peerNamespace)
	add("notNamespaces", strs(s.NotNamespaces), needL4, true, peerNamespace)
	add("ipBlocks", strs(s.IPBlocks), needL4, false, directRemoteIP)
	add("notIpBlocks", strs(s.NotIPBlocks), needL4, true, directRemoteIP)
	add("remoteIpBlocks", strs(s.RemoteIPBlocks), needL4, false, remoteIP)
	add("notRemoteIpBlocks", strs(s.NotRemoteIPBlocks), needL4, true, remoteIP)
	return andIDs(ids)
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// peerPrincipal matches the peer's SPIFFE id: Istio's principals are
// written without the scheme.
func peerPrincipal(v string) *rbacv3.Principal {
	return authenticated(istioString(v, spiffePrefix, false))
}

func authenticated(m *matcherv3.StringMatcher) *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_Authenticated_{
		Authenticated: &rbacv3.Principal_Authenticated{PrincipalName: m},
	}}
}

// peerNamespace matches the namespace of the peer's SPIFFE id,
// spiffe://<trust domain>/ns/<namespace>/sa/<account>, as Istio does with
// a regular expression over the principal.
func peerNamespace(v string) *rbacv3.Principal {
	ns := regexp.QuoteMeta(v)
	switch {
	case v == "*":
		ns = "[^/]+"
	case strings.HasPrefix(v, "*"):
		ns = "[^/]*" + regexp.QuoteMeta(v[1:])
	case strings.HasSuffix(v, "*"):
		ns = regexp.QuoteMeta(v[:len(v)-1]) + "[^/]*"
	}
	return authenticated(&matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{
		SafeRegex: &matcherv3.RegexMatcher{Regex: "spiffe://[^/]+/ns/" + ns + "/sa/.+"},
	}})
}

func directRemoteIP(v string) *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_DirectRemoteIp{DirectRemoteIp: cidr(v)}}
}

func remoteIP(v string) *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_RemoteIp{RemoteIp: cidr(v)}}
}

// cidr reads an address or CIDR (the model checked it); a bare address is
// a host route.
func cidr(v string) *corev3.CidrRange {
	if p, err := netip.ParsePrefix(v); err == nil {
		return &corev3.CidrRange{AddressPrefix: p.Addr().String(), PrefixLen: wrapperspb.UInt32(uint32(p.Bits()))}
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		// Unreachable after the model's checks; matches nothing useful.
		return &corev3.CidrRange{AddressPrefix: "255.255.255.255", PrefixLen: wrapperspb.UInt32(32)}
	}
	return &corev3.CidrRange{AddressPrefix: a.String(), PrefixLen: wrapperspb.UInt32(uint32(a.BitLen()))}
}

// requestPrincipal matches Istio's request principal "<iss>/<sub>" of a
// verified JWT. Upstream Envoy has no single principal string, only the
// payload's claims, and an issuer may itself hold "/" (a URL): the value
// matches when some split of it into issuer and subject matches the
// claims, so every split point is tried.
func requestPrincipal(v string) *rbacv3.Principal {
	iss := func(s string) *rbacv3.Principal { return metadataID(jwtValue([]string{"iss"}, s)) }
	sub := func(s string) *rbacv3.Principal { return metadataID(jwtValue([]string{"sub"}, s)) }
	both := func(i, s string) *rbacv3.Principal { return andIDs([]*rbacv3.Principal{iss(i), sub(s)}) }
	var or []*rbacv3.Principal
	switch {
	case v == "*":
		return both("*", "*")
	case strings.HasPrefix(v, "*"): // "*S": the separator lies in S, or before it
		s := v[1:]
		for _, i := range slashes(s) {
			or = append(or, both("*"+s[:i], s[i+1:]))
		}
		or = append(or, both("*", "*"+s))
	case strings.HasSuffix(v, "*"): // "P*": the separator lies in P, or after it
		p := v[:len(v)-1]
		for _, i := range slashes(p) {
			or = append(or, both(p[:i], p[i+1:]+"*"))
		}
		or = append(or, both(p+"*", "*"))
	default:
		for _, i := range slashes(v) {
			or = append(or, both(v[:i], v[i+1:]))
		}
		if len(or) == 0 {
			// No "/": no issuer and subject can make it; Istio's
			// principal string could not equal it either.
			return notID(anyID)
		}
	}
	return orIDs(or)
}

// slashes are the positions of "/" in s.
func slashes(s string) []int {
	var out []int
	for i := range s {
		if s[i] == '/' {
			out = append(out, i)
		}
	}
	return out
}

// jwtClaimID matches request.auth.* conditions: audiences (aud),
// presenter (azp), claims[a][b] (nested claims).
func jwtClaimID(key, v string) (*rbacv3.Principal, error) {
	switch {
	case key == "request.auth.principal":
		return requestPrincipal(v), nil
	case key == "request.auth.audiences":
		return metadataID(jwtValue([]string{"aud"}, v)), nil
	case key == "request.auth.presenter":
		return metadataID(jwtValue([]string{"azp"}, v)), nil
	case strings.HasPrefix(key, "request.auth.claims["):
		return metadataID(jwtValue(claimPath(strings.TrimPrefix(key, "request.auth.claims")), v)), nil
	}
	return nil, fmt.Errorf("not a request.auth key: %s", key)
}
