package model

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
)

// RequestAuthentication is a RequestAuthentication as the model reads it:
// its scope and its usable jwtRules.
type RequestAuthentication struct {
	Ref types.NamespacedName
	// Selector is nil for a namespace-wide (or, in the root namespace,
	// mesh-wide) policy.
	Selector labels.Selector
	// Targeted policies attach to Gateway API gateways or waypoints
	// (targetRef/targetRefs); they select no pod sailplane configures.
	Targeted bool
	Rules    []*JWTRule
}

// JWTRule is one jwtRule, checked, with its defaults applied.
type JWTRule struct {
	// Policy and Index say where the rule came from.
	Policy    types.NamespacedName
	Index     int
	Issuer    string
	Audiences []string
	// JWKS is the inline key set; empty when JWKSURI is set.
	JWKS    string
	JWKSURI *JWKSURI
	// FromHeaders, FromParams and FromCookies are where the token is read;
	// when the rule names none, the defaults (Authorization: Bearer, and
	// access_token) are filled in.
	FromHeaders           []JWTHeader
	FromParams            []string
	FromCookies           []string
	OutputPayloadToHeader string
	ForwardOriginalToken  bool
	ClaimToHeaders        []ClaimToHeader
	// SpaceDelimitedClaims are the rule's own, besides Istio's defaults.
	SpaceDelimitedClaims []string
	// Required says a request without a valid token of this rule is
	// refused (presence REQUIRED).
	Required bool
}

// JWKSURI is a parsed jwksUri: what the fetch cluster needs.
type JWKSURI struct {
	URI     string
	Host    string
	Port    uint32
	TLS     bool
	Timeout time.Duration
}

// JWTHeader is a header a token is read from.
type JWTHeader struct{ Name, Prefix string }

// ClaimToHeader copies a verified claim into a request header.
type ClaimToHeader struct{ Header, Claim string }

// JWTPolicy holds the RequestAuthentications by namespace, oldest first.
type JWTPolicy struct {
	byNamespace map[string][]*RequestAuthentication
}

func raRef(ref types.NamespacedName) ObjectRef {
	return ObjectRef{Kind: "RequestAuthentication", NamespacedName: ref}
}

func (m *Model) addRequestAuthentications(b *bundle.Bundle) {
	m.JWT = &JWTPolicy{byNamespace: map[string][]*RequestAuthentication{}}
	ras := make([]*securityv1.RequestAuthentication, len(b.RequestAuthentications))
	for i := range b.RequestAuthentications {
		ras[i] = &b.RequestAuthentications[i]
	}
	sort.Slice(ras, func(i, j int) bool { return olderFirst(&ras[i].ObjectMeta, &ras[j].ObjectMeta) })
	for _, ra := range ras {
		p := m.readRequestAuthentication(ra)
		m.JWT.byNamespace[ra.Namespace] = append(m.JWT.byNamespace[ra.Namespace], p)
	}
	m.reportDuplicateIssuers()
}

// reportDuplicateIssuers reports, on the later rule, every pod two
// applicable rules of one issuer both apply to: Envoy picks a provider by
// the token's issuer, so only the first (see JWTRulesFor) is used there.
// Found here, over the pods, so status does not depend on which proxies
// are connected.
func (m *Model) reportDuplicateIssuers() {
	if !m.JWT.issuerRepeats() {
		return // no pod can meet one issuer twice: skip the walk over every pod
	}
	for _, r := range sortedPodRefs(m.Pods) {
		first := map[string]*JWTRule{}
		for _, rule := range m.JWTRulesFor(r.Namespace, m.Pods[r].Labels) {
			f, dup := first[rule.Issuer]
			if !dup {
				first[rule.Issuer] = rule
				continue
			}
			m.Status.Add(raRef(rule.Policy), fmt.Sprintf("jwtRules[%d].issuer", rule.Index),
				"pod %s: issuer %q is already configured by %s jwtRules[%d], which applies to it instead", r, rule.Issuer, raRef(f.Policy), f.Index)
		}
	}
}

// issuerRepeats reports whether two rules, of any policies, name one
// issuer: only then can a pod have two applicable rules of one issuer.
func (j *JWTPolicy) issuerRepeats() bool {
	seen := map[string]bool{}
	for _, ps := range j.byNamespace {
		for _, p := range ps {
			for _, r := range p.Rules {
				if seen[r.Issuer] {
					return true
				}
				seen[r.Issuer] = true
			}
		}
	}
	return false
}

// readRequestAuthentication checks what the CRD's validation would
// (offline manifests never met it) and keeps the rules that are usable. A
// rule that is not is left out: a token of its issuer then finds no
// provider and is refused, which fails closed.
func (m *Model) readRequestAuthentication(ra *securityv1.RequestAuthentication) *RequestAuthentication {
	ref := types.NamespacedName{Namespace: ra.Namespace, Name: ra.Name}
	m.Status.Seen(raRef(ref))
	p := &RequestAuthentication{Ref: ref}
	spec := &ra.Spec
	if sel := spec.Selector; sel != nil && len(sel.MatchLabels) > 0 {
		set := labels.Set{}
		for k, v := range sel.MatchLabels {
			set[k] = string(v)
		}
		p.Selector = labels.SelectorFromSet(set)
	}
	if spec.TargetRef != nil || len(spec.TargetRefs) > 0 {
		p.Targeted = true
		field := "targetRefs"
		if spec.TargetRef != nil {
			field = "targetRef"
		}
		if spec.Selector != nil {
			m.Status.Add(raRef(ref), field, "only one of targetRefs or selector can be set; the policy applies to nothing")
		} else {
			m.Status.Add(raRef(ref), field, "not applied: sailplane serves no Gateway API gateways or waypoints a targetRef could attach to")
		}
	}
	for i := range spec.JWTRules {
		if r := m.readJWTRule(ref, i, &spec.JWTRules[i]); r != nil {
			p.Rules = append(p.Rules, r)
		}
	}
	return p
}

// headerName is what Envoy accepts as a header name (an RFC 7230 token).
var headerName = regexp.MustCompile(`^[!#$%&'*+\-.^_|~0-9A-Za-z` + "`" + `]+$`)

func (m *Model) readJWTRule(ref types.NamespacedName, i int, spec *securityv1.JWTRule) *JWTRule {
	at := func(f string) string { return fmt.Sprintf("jwtRules[%d].%s", i, f) }
	if spec.Issuer == "" {
		m.Status.Add(raRef(ref), at("issuer"), "issuer is required; rule left out")
		return nil
	}
	r := &JWTRule{Policy: ref, Index: i, Issuer: spec.Issuer, ForwardOriginalToken: spec.ForwardOriginalToken}
	if field, err := r.read(spec); err != nil {
		m.Status.Add(raRef(ref), at(field), "%v; no token of issuer %q verifies", err, spec.Issuer)
		return refusing(ref, i, spec.Issuer, spec.Presence == securityv1.JWTRequired)
	}
	if spec.JWKS == "" && jwksURIOf(spec) == "" {
		m.Status.Add(raRef(ref), at("jwksUri"), "neither jwks nor jwksUri is set and sailplane does not discover keys through the issuer's OpenID configuration; no token of issuer %q verifies", spec.Issuer)
		r.JWKS = defaults.UnusableJWKS
	}
	return r
}

// refusing stands in for a rule with a bad field: it reads the issuer's
// tokens where the defaults say and verifies none (defaults.UnusableJWKS),
// so a token of that issuer is refused rather than ignored; a REQUIRED
// rule stays required, so every request is then refused.
func refusing(ref types.NamespacedName, i int, issuer string, required bool) *JWTRule {
	r := &JWTRule{Policy: ref, Index: i, Issuer: issuer, JWKS: defaults.UnusableJWKS, Required: required}
	r.defaultLocations()
	return r
}

func (r *JWTRule) defaultLocations() {
	if len(r.FromHeaders)+len(r.FromParams)+len(r.FromCookies) == 0 {
		r.FromHeaders = []JWTHeader{{Name: defaults.JWTHeader, Prefix: defaults.JWTHeaderPrefix}}
		r.FromParams = []string{defaults.JWTParam}
	}
}

// read fills the rule from its spec; on a bad field it returns the field
// and why.
func (r *JWTRule) read(spec *securityv1.JWTRule) (string, error) {
	for j, a := range spec.Audiences {
		if a == "" {
			return fmt.Sprintf("audiences[%d]", j), fmt.Errorf("audience must not be empty")
		}
		r.Audiences = append(r.Audiences, string(a))
	}
	if field, err := r.readJWKS(spec); err != nil {
		return field, err
	}
	if field, err := r.readLocations(spec); err != nil {
		return field, err
	}
	r.defaultLocations()
	if h := spec.OutputPayloadToHeader; h != "" && !headerName.MatchString(h) {
		return "outputPayloadToHeader", fmt.Errorf("%q is not a valid header name", h)
	}
	r.OutputPayloadToHeader = spec.OutputPayloadToHeader
	for j, c := range spec.SpaceDelimitedClaims {
		if c == "" {
			return fmt.Sprintf("spaceDelimitedClaims[%d]", j), fmt.Errorf("claim name must not be empty")
		}
		r.SpaceDelimitedClaims = append(r.SpaceDelimitedClaims, string(c))
	}
	switch spec.Presence {
	case "", securityv1.JWTOptional:
	case securityv1.JWTRequired:
		r.Required = true
	default:
		return "presence", fmt.Errorf("unknown presence %q (OPTIONAL or REQUIRED)", spec.Presence)
	}
	for j, c := range spec.OutputClaimToHeaders {
		if !claimHeader.MatchString(c.Header) {
			return fmt.Sprintf("outputClaimToHeaders[%d].header", j), fmt.Errorf("%q must match %s", c.Header, claimHeader)
		}
		if c.Claim == "" {
			return fmt.Sprintf("outputClaimToHeaders[%d].claim", j), fmt.Errorf("claim is required")
		}
		r.ClaimToHeaders = append(r.ClaimToHeaders, ClaimToHeader{Header: c.Header, Claim: c.Claim})
	}
	return "", nil
}

func (r *JWTRule) readLocations(spec *securityv1.JWTRule) (string, error) {
	for j, h := range spec.FromHeaders {
		if !headerName.MatchString(h.Name) {
			return fmt.Sprintf("fromHeaders[%d].name", j), fmt.Errorf("%q is not a valid header name", h.Name)
		}
		r.FromHeaders = append(r.FromHeaders, JWTHeader{Name: h.Name, Prefix: h.Prefix})
	}
	for j, q := range spec.FromParams {
		if q == "" {
			return fmt.Sprintf("fromParams[%d]", j), fmt.Errorf("parameter name must not be empty")
		}
		r.FromParams = append(r.FromParams, string(q))
	}
	for j, c := range spec.FromCookies {
		if c == "" {
			return fmt.Sprintf("fromCookies[%d]", j), fmt.Errorf("cookie name must not be empty")
		}
		r.FromCookies = append(r.FromCookies, string(c))
	}
	return "", nil
}

// claimHeader is Istio's pattern for outputClaimToHeaders[].header.
var claimHeader = regexp.MustCompile(`^[-_A-Za-z0-9]+$`)

// readJWKS fills the rule's key source: the inline jwks, checked, or the
// parsed jwksUri with its fetch timeout.
func (r *JWTRule) readJWKS(spec *securityv1.JWTRule) (string, error) {
	uri := jwksURIOf(spec)
	switch {
	case spec.JWKS != "" && uri != "", spec.JWKSURI != "" && spec.JWKSURIAlt != "":
		return "jwks", fmt.Errorf("only one of jwks or jwksUri can be set")
	case uri != "":
		u, err := parseJWKSURI(uri)
		if err != nil {
			return "jwksUri", err
		}
		u.Timeout = defaults.JWKSFetchTimeout
		if spec.Timeout != nil {
			d, err := time.ParseDuration(string(*spec.Timeout))
			if err != nil || d < time.Millisecond {
				return "timeout", fmt.Errorf("%q must be a valid duration greater than or equal to 1ms", *spec.Timeout)
			}
			u.Timeout = d
		}
		r.JWKSURI = u
	case spec.JWKS != "":
		if err := checkJWKS(spec.JWKS); err != nil {
			return "jwks", err
		}
		r.JWKS = spec.JWKS
	}
	return "", nil
}

// jwksURIOf is the rule's jwksUri under either of its names.
func jwksURIOf(spec *securityv1.JWTRule) string {
	if spec.JWKSURI != "" {
		return spec.JWKSURI
	}
	return spec.JWKSURIAlt
}

func parseJWKSURI(s string) (*JWKSURI, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %v", s, err)
	}
	out := &JWKSURI{URI: s, Host: u.Hostname()}
	switch u.Scheme {
	case "https":
		out.TLS, out.Port = true, defaults.HTTPSPort
	case "http":
		out.Port = defaults.HTTPPort
	default:
		return nil, fmt.Errorf("url must have scheme http:// or https://, got %q", s)
	}
	if out.Host == "" {
		return nil, fmt.Errorf("url %q has no host", s)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("url %q: port must be between 1-65535", s)
		}
		out.Port = uint32(n)
	}
	if strings.ContainsAny(out.Host, " \t") || (net.ParseIP(out.Host) == nil && strings.Contains(out.Host, ":")) {
		return nil, fmt.Errorf("url %q: invalid host", s)
	}
	return out, nil
}

// checkJWKS checks that an inline jwks is a JSON key set with at least one
// key, each naming its type: what Envoy needs to use it.
func checkJWKS(s string) error {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(s), &set); err != nil {
		return fmt.Errorf("jwks is not a JSON Web Key Set: %v", err)
	}
	if len(set.Keys) == 0 {
		return fmt.Errorf("jwks has no keys")
	}
	for i, k := range set.Keys {
		if kty, _ := k["kty"].(string); kty == "" {
			return fmt.Errorf("jwks keys[%d] has no kty", i)
		}
	}
	return nil
}

// JWTRulesFor is every jwtRule that applies to a workload, in Istio's
// order (see RequestAuthenticationsFor). Istio merges them all: unlike
// PeerAuthentication, no policy overrides another.
func (m *Model) JWTRulesFor(namespace string, podLabels map[string]string) []*JWTRule {
	var out []*JWTRule
	for _, p := range m.applicableRequestAuthentications(namespace, podLabels) {
		out = append(out, p.Rules...)
	}
	return out
}

// RequestAuthenticationsFor names the policies that apply to a workload:
// those of its namespace, then those of the root namespace, each oldest
// first; a policy applies when it has no selector or its selector matches
// the pod's labels (a root-namespace selector matches pods of every
// namespace, as in Istio), and never when it attaches by targetRef.
func (m *Model) RequestAuthenticationsFor(namespace string, podLabels map[string]string) []types.NamespacedName {
	var out []types.NamespacedName
	for _, p := range m.applicableRequestAuthentications(namespace, podLabels) {
		out = append(out, p.Ref)
	}
	return out
}

func (m *Model) applicableRequestAuthentications(namespace string, podLabels map[string]string) []*RequestAuthentication {
	if m.JWT == nil {
		return nil
	}
	scopes := []string{namespace}
	if namespace != m.RootNamespace() {
		scopes = append(scopes, m.RootNamespace())
	}
	var out []*RequestAuthentication
	for _, ns := range scopes {
		for _, p := range m.JWT.byNamespace[ns] {
			if p.Targeted || (p.Selector != nil && !p.Selector.Matches(labels.Set(podLabels))) {
				continue
			}
			out = append(out, p)
		}
	}
	return out
}
