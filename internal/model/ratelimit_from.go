package model

import (
	"fmt"
	"regexp"
	"strings"

	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/re2size"
)

// PeerCondition is one match.from value as a condition on the
// x-forwarded-client-cert header the inbound connection manager passes
// to its filters. The connection manager sets that header only for a
// mutual TLS peer and writes the peer's element last, ending with its
// URI field (By=<own URI>;Hash=<cert hash>;URI=<peer URI>), after
// whatever a caller sent: reading the end of the header reads the
// certificate, never a forged element before it. Exactly one of the
// fields is set.
type PeerCondition struct {
	// Present: any mutual TLS peer (principal "*").
	Present bool
	// Suffix: the header ends with it.
	Suffix string
	// Regex: the header matches it in full (RE2, as Envoy's safe_regex).
	Regex string
}

// peerURIField starts the URI field of an XFCC element; every element
// Envoy writes starts with By=, so the field always follows a ";".
const peerURIField = ";URI=spiffe://"

// lastURIField matches the header up to the URI field of its last
// element: anything, then no "," (no further element) before the field.
const lastURIField = ".*" + ";URI=" + "spiffe://"

// PrincipalCondition is a principal as AuthorizationPolicy's
// source.principals reads it (the SPIFFE id without spiffe://): "*" any
// peer, "x*" a prefix, "*x" a suffix, else exact.
func PrincipalCondition(v string) PeerCondition {
	switch {
	case v == "*":
		return PeerCondition{Present: true}
	case strings.HasPrefix(v, "*"):
		// The value holds no "=" (peerValueProblem), so a suffix of the
		// header that matches it lies inside the URI field.
		return PeerCondition{Suffix: v[1:]}
	case strings.HasSuffix(v, "*"):
		return PeerCondition{Regex: lastURIField + regexp.QuoteMeta(v[:len(v)-1]) + "[^,;]*"}
	}
	return PeerCondition{Suffix: peerURIField + v}
}

// NamespaceCondition is a namespace as AuthorizationPolicy's
// source.namespaces reads it: the namespace of the peer's
// spiffe://<trust domain>/ns/<namespace>/sa/<account>, with the same
// wildcards as principals.
func NamespaceCondition(v string) PeerCondition {
	const segment = "[^,;/]"
	ns := regexp.QuoteMeta(v)
	switch {
	case v == "*":
		ns = segment + "+"
	case strings.HasPrefix(v, "*"):
		ns = segment + "*" + regexp.QuoteMeta(v[1:])
	case strings.HasSuffix(v, "*"):
		ns = regexp.QuoteMeta(v[:len(v)-1]) + segment + "*"
	}
	return PeerCondition{Regex: lastURIField + segment + "+/ns/" + ns + "/sa/[^,;]+"}
}

// PeerValuesOverlap says whether two values of one from field may match the same
// peer: only two different exact values cannot. The translation keeps
// the alternatives of a rule apart with it (a request producing a
// descriptor twice would take two tokens).
func PeerValuesOverlap(a, b string) bool {
	wild := func(v string) bool { return strings.Contains(v, "*") }
	return a == b || wild(a) || wild(b)
}

// fromProblem says why a match.from cannot be applied ("" when it can).
func fromProblem(f *policyv1alpha1.SourceMatch) string {
	if len(f.Principals) == 0 && len(f.Namespaces) == 0 {
		return "match.from: empty; name principals or namespaces"
	}
	for i, p := range f.Principals {
		if reason := peerValueProblem(p, PrincipalCondition(p)); reason != "" {
			return fmt.Sprintf("match.from.principals[%d]: %s", i, reason)
		}
		if strings.HasPrefix(p, "spiffe://") {
			return fmt.Sprintf("match.from.principals[%d]: write the SPIFFE id without spiffe://, as AuthorizationPolicy does", i)
		}
	}
	for i, ns := range f.Namespaces {
		if reason := peerValueProblem(ns, NamespaceCondition(ns)); reason != "" {
			return fmt.Sprintf("match.from.namespaces[%d]: %s", i, reason)
		}
		if strings.Contains(ns, "/") {
			return fmt.Sprintf("match.from.namespaces[%d]: %q is not a namespace", i, ns)
		}
	}
	return ""
}

// peerValueProblem refuses what cannot be part of a SPIFFE id in the
// header (a "," or ";" would end the field, "=" and quotes and spaces
// have no place in one), a "*" anywhere but at one end, and a condition
// whose regex Envoy would refuse.
func peerValueProblem(v string, c PeerCondition) string {
	trimmed := strings.TrimSuffix(strings.TrimPrefix(v, "*"), "*")
	switch {
	case v == "":
		return "empty"
	case v != "*" && trimmed == "":
		return fmt.Sprintf("%q: a wildcard needs text next to it, or is \"*\" alone", v)
	case strings.ContainsAny(trimmed, "*"):
		return fmt.Sprintf("%q: \"*\" may only start or end the value", v)
	case strings.ContainsAny(v, ",;=\"\\ \t"):
		return fmt.Sprintf("%q: holds a character no SPIFFE id has", v)
	}
	if c.Regex != "" {
		if err := re2size.Check(c.Regex, defaults.EnvoyRegexMaxProgramSize); err != nil {
			return fmt.Sprintf("%q: too long to match within Envoy's regex limit: %v", v, err)
		}
	}
	return ""
}
