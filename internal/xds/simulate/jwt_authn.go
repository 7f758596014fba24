package simulate

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// JWTResult is what jwt_authn does with a request.
type JWTResult struct {
	// Refused is why the filter answers 401; empty when the request passes.
	Refused string
	// Provider verified the token; empty for a request that carried none.
	Provider string
	// Metadata is the filter's dynamic metadata: the verified payload
	// under each provider's payload_in_metadata key.
	Metadata map[string]map[string]any
	// Headers are the request headers the filter passes on (payload and
	// claim headers added, the token removed unless forwarded).
	Headers map[string]string
}

// jwtClockSkew is Envoy's default clock_skew_seconds (60) for exp/nbf.
const jwtClockSkew = 60 * time.Second

// jwtAlgorithms are the signature algorithms Envoy's jwt_authn verifies.
var jwtAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA, jose.HS256, jose.HS384, jose.HS512,
}

// InboundJWT runs req through the jwt_authn filter of virtualInbound's
// plain-text HTTP chain for port, at time now. A chain without the filter
// passes every request unchanged.
func InboundJWT(res *xds.Resources, port uint32, req Request, now time.Time) (JWTResult, error) {
	hcm, err := InboundHCM(res, port)
	if err != nil {
		return JWTResult{}, err
	}
	return JWTAuthn(hcm, req, now)
}

// GatewayJWT runs req through the jwt_authn filter of the gateway
// listener's filter chain for req.Port (and req.SNI over TLS), at time now.
func GatewayJWT(res *xds.Resources, req Request, now time.Time) (JWTResult, error) {
	fc, err := gatewayChain(res, req.Port, req.TLS, req.SNI)
	if err != nil {
		return JWTResult{}, err
	}
	for _, f := range fc.GetFilters() {
		if f.GetName() != names.HTTPConnectionManagerFilter {
			continue
		}
		var h hcmv3.HttpConnectionManager
		if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
			return JWTResult{}, err
		}
		return JWTAuthn(&h, req, now)
	}
	return JWTResult{}, fmt.Errorf("the gateway chain for port %d has no HTTP connection manager", req.Port)
}

// InboundHCM is the HTTP connection manager of virtualInbound's
// plain-text chain for port.
func InboundHCM(res *xds.Resources, port uint32) (*hcmv3.HttpConnectionManager, error) {
	chains, err := inboundPlaintextChains(res, port)
	if err != nil {
		return nil, err
	}
	for _, fc := range chains {
		for _, f := range fc.GetFilters() {
			if f.GetName() != names.HTTPConnectionManagerFilter {
				continue
			}
			var h hcmv3.HttpConnectionManager
			if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
				return nil, err
			}
			return &h, nil
		}
	}
	return nil, fmt.Errorf("no plain-text HTTP chain for port %d in %s", port, names.VirtualInbound)
}

// inboundPlaintextChains are virtualInbound's chains for port that take
// plain text (no transport socket), in listener order.
func inboundPlaintextChains(res *xds.Resources, port uint32) ([]*listenerv3.FilterChain, error) {
	l := listenerNamed(res, names.VirtualInbound)
	if l == nil {
		return nil, fmt.Errorf("no listener %s", names.VirtualInbound)
	}
	var out []*listenerv3.FilterChain
	for _, fc := range l.GetFilterChains() {
		if fc.GetFilterChainMatch().GetDestinationPort().GetValue() == port && fc.GetTransportSocket() == nil {
			out = append(out, fc)
		}
	}
	return out, nil
}

// JWTFilter is the connection manager's jwt_authn config; nil without one.
func JWTFilter(hcm *hcmv3.HttpConnectionManager) (*jwtv3.JwtAuthentication, error) {
	for _, f := range hcm.GetHttpFilters() {
		if f.GetName() != names.JWTAuthnFilter {
			continue
		}
		var cfg jwtv3.JwtAuthentication
		if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
			return nil, err
		}
		return &cfg, nil
	}
	return nil, nil
}

// JWTAuthn does what Envoy's jwt_authn filter of the connection manager
// does with req: the first rule whose path prefix matches picks a
// requirement, evaluated as Envoy does: provider_name (a token in the
// provider's locations, of its issuer, that verifies), allow_missing (no
// token where the providers of its requires_any list read, or one found
// there that verifies with the provider of its issuer), requires_any (one
// alternative passes), requires_all (every one passes). Of several tokens
// found, Envoy stops at the first that verifies, else reports the last. A token goes to the provider whose
// issuer its (unverified) iss names and that reads the location it came
// from, and must verify there: signature against the provider's local
// JWKS, exp and nbf with Envoy's 60s skew, and one of the provider's
// audiences when it lists any. Remote JWKS are not fetched: a token for
// such a provider is an error of the simulation.
func JWTAuthn(hcm *hcmv3.HttpConnectionManager, req Request, now time.Time) (JWTResult, error) {
	out := JWTResult{Headers: copyHeaders(req.Headers), Metadata: map[string]map[string]any{}}
	cfg, err := JWTFilter(hcm)
	if err != nil || cfg == nil {
		return out, err
	}
	if cfg.GetBypassCorsPreflight() && isPreflight(req.Method, out.Headers) {
		return out, nil
	}
	requirement := requirementFor(cfg, req.Path)
	if requirement == nil {
		return out, nil
	}
	e := &evaluation{cfg: cfg, req: req, now: now, verified: map[string]verifiedToken{}}
	why, err := e.eval(requirement, nil)
	if err != nil || why != "" {
		out.Refused = why
		return out, err
	}
	providers := make([]string, 0, len(e.verified))
	for n := range e.verified {
		providers = append(providers, n)
	}
	sort.Strings(providers)
	for _, n := range providers {
		v := e.verified[n]
		out.Provider = n
		apply(cfg.Providers[n], v.tok, v.payload, &out)
	}
	return out, nil
}

func isPreflight(method string, h map[string]string) bool {
	return method == http.MethodOptions && h["origin"] != "" && h["access-control-request-method"] != ""
}

// requirementFor is the requirement of the first rule matching path.
func requirementFor(cfg *jwtv3.JwtAuthentication, path string) *jwtv3.JwtRequirement {
	p, _, _ := strings.Cut(path, "?")
	for _, r := range cfg.GetRules() {
		if strings.HasPrefix(p, r.GetMatch().GetPrefix()) {
			return r.GetRequires()
		}
	}
	return nil
}

// evaluation is one request's way through a requirement tree.
type evaluation struct {
	cfg      *jwtv3.JwtAuthentication
	req      Request
	now      time.Time
	verified map[string]verifiedToken
}

type verifiedToken struct {
	tok     *token
	payload map[string]any
}

// eval returns why the requirement fails ("" when it passes); siblings
// are the providers of the requires_any list it is in, the only ones an
// allow_missing reads tokens for.
func (e *evaluation) eval(r *jwtv3.JwtRequirement, siblings []string) (string, error) {
	switch {
	case r.GetProviderName() != "":
		toks := extractTokens(e.cfg, []string{r.GetProviderName()}, e.req)
		if len(toks) == 0 {
			return "Jwt is missing", nil
		}
		return e.verifyAny(toks)
	case r.GetAllowMissing() != nil:
		toks := extractTokens(e.cfg, siblings, e.req)
		if len(toks) == 0 {
			return "", nil
		}
		return e.verifyAny(toks)
	case r.GetRequiresAny() != nil:
		var names []string
		for _, alt := range r.GetRequiresAny().GetRequirements() {
			if n := alt.GetProviderName(); n != "" {
				names = append(names, n)
			}
		}
		// When every alternative fails, the most telling reason is kept:
		// a token that failed verification over one that was missing or
		// meant for another issuer.
		best := ""
		for _, alt := range r.GetRequiresAny().GetRequirements() {
			why, err := e.eval(alt, names)
			if err != nil || why == "" {
				return why, err
			}
			if best == "" || (vague(best) && !vague(why)) {
				best = why
			}
		}
		return best, nil
	case r.GetRequiresAll() != nil:
		for _, each := range r.GetRequiresAll().GetRequirements() {
			if why, err := e.eval(each, nil); err != nil || why != "" {
				return why, err
			}
		}
		return "", nil
	}
	return "", fmt.Errorf("requirement %v is not simulated", r)
}

func vague(why string) bool {
	return why == "Jwt is missing" || strings.HasSuffix(why, "is not configured")
}

// verifyAny verifies the tokens in order and stops at the first that
// verifies; when none does, the last one's failure is the reason.
func (e *evaluation) verifyAny(toks []*token) (string, error) {
	why := ""
	for _, tok := range toks {
		name, payload, failed, err := verifyToken(e.cfg, tok, e.now)
		if err != nil {
			return "", err
		}
		if failed == "" {
			e.verified[name] = verifiedToken{tok: tok, payload: payload}
			return "", nil
		}
		why = failed
	}
	return why, nil
}

// token is one extracted token and where it came from.
type token struct {
	value string
	// header is the header it came from, "" for a parameter or cookie.
	header string
	// readers are the providers that read that location.
	readers map[string]bool
}

func extractTokens(cfg *jwtv3.JwtAuthentication, providers []string, req Request) []*token {
	byValue := map[string]*token{}
	var order []string
	add := func(value, header, provider string) {
		t := byValue[value]
		if t == nil {
			t = &token{value: value, header: header, readers: map[string]bool{}}
			byValue[value] = t
			order = append(order, value)
		}
		t.readers[provider] = true
	}
	hdrs := copyHeaders(req.Headers)
	query := queryOf(req.Path)
	cookies := cookiesOf(hdrs["cookie"])
	for _, name := range providers {
		p := cfg.Providers[name]
		for _, h := range p.GetFromHeaders() {
			v, found := hdrs[strings.ToLower(h.GetName())]
			if found && strings.HasPrefix(v, h.GetValuePrefix()) {
				add(strings.TrimPrefix(v, h.GetValuePrefix()), strings.ToLower(h.GetName()), name)
			}
		}
		for _, q := range p.GetFromParams() {
			if v := query.Get(q); v != "" {
				add(v, "", name)
			}
		}
		for _, c := range p.GetFromCookies() {
			if v, found := cookies[c]; found {
				add(v, "", name)
			}
		}
	}
	out := make([]*token, 0, len(order))
	for _, v := range order {
		out = append(out, byValue[v])
	}
	return out
}

func queryOf(path string) url.Values {
	_, q, _ := strings.Cut(path, "?")
	v, _ := url.ParseQuery(q)
	return v
}

func cookiesOf(header string) map[string]string {
	out := map[string]string{}
	for _, c := range (&http.Request{Header: http.Header{"Cookie": {header}}}).Cookies() {
		out[c.Name] = c.Value
	}
	return out
}

// verifyToken finds the token's provider and verifies it there; why is
// Envoy's refusal, err a problem of the simulation.
func verifyToken(cfg *jwtv3.JwtAuthentication, tok *token, now time.Time) (provider string, payload map[string]any, why string, err error) {
	jws, err := jose.ParseSigned(tok.value, jwtAlgorithms)
	if err != nil {
		return "", nil, "Jwt is not in the form of Header.Payload.Signature", nil
	}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &payload); err != nil {
		return "", nil, "Jwt payload is not a JSON object", nil
	}
	iss, _ := payload["iss"].(string)
	provider = providerFor(cfg, tok, iss)
	if provider == "" {
		return "", nil, fmt.Sprintf("Jwt issuer %q is not configured", iss), nil // see vague
	}
	p := cfg.Providers[provider]
	if p.GetRemoteJwks() != nil {
		return provider, nil, "", fmt.Errorf("provider %s fetches its keys from %s, which the simulation does not", provider, p.GetRemoteJwks().GetHttpUri().GetUri())
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(p.GetLocalJwks().GetInlineString()), &set); err != nil {
		return provider, nil, "Jwks doesn't have valid keys", nil
	}
	if !verifiedBy(jws, set) {
		return provider, nil, "Jwt verification fails", nil
	}
	if why := timeClaims(payload, now); why != "" {
		return provider, nil, why, nil
	}
	if !audienceAllowed(p.GetAudiences(), payload["aud"]) {
		return provider, nil, "Audiences in Jwt are not allowed", nil
	}
	return provider, payload, "", nil
}

// providerFor is the provider, of those reading the token's location,
// whose issuer the token names (Envoy's allow_missing matching); one with
// no issuer takes any token.
func providerFor(cfg *jwtv3.JwtAuthentication, tok *token, iss string) string {
	readers := make([]string, 0, len(tok.readers))
	for n := range tok.readers {
		readers = append(readers, n)
	}
	sort.Strings(readers)
	for _, n := range readers {
		if i := cfg.Providers[n].GetIssuer(); i == iss || i == "" {
			return n
		}
	}
	return ""
}

// verifiedBy tries the keys Envoy would: those with the token's kid when
// it names one, else every key, each whose algorithm fits.
func verifiedBy(jws *jose.JSONWebSignature, set jose.JSONWebKeySet) bool {
	if len(jws.Signatures) != 1 {
		return false
	}
	kid := jws.Signatures[0].Header.KeyID
	for _, k := range set.Keys {
		if kid != "" && k.KeyID != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != jws.Signatures[0].Header.Algorithm {
			continue
		}
		if _, err := jws.Verify(k); err == nil {
			return true
		}
	}
	return false
}

func timeClaims(payload map[string]any, now time.Time) string {
	if exp, ok := payload["exp"].(float64); ok && now.After(time.Unix(int64(exp), 0).Add(jwtClockSkew)) {
		return "Jwt is expired"
	}
	if nbf, ok := payload["nbf"].(float64); ok && now.Add(jwtClockSkew).Before(time.Unix(int64(nbf), 0)) {
		return "Jwt not yet valid"
	}
	return ""
}

func audienceAllowed(allowed []string, aud any) bool {
	if len(allowed) == 0 {
		return true
	}
	var got []string
	switch a := aud.(type) {
	case string:
		got = []string{a}
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok {
				got = append(got, s)
			}
		}
	}
	for _, g := range got {
		for _, w := range allowed {
			if g == w {
				return true
			}
		}
	}
	return false
}

// apply does what a verified token leaves behind: the payload in
// metadata, the payload and claim headers, the token removed from its
// header unless forwarded.
func apply(p *jwtv3.JwtProvider, tok *token, payload map[string]any, out *JWTResult) {
	if k := p.GetPayloadInMetadata(); k != "" {
		out.Metadata[k] = normalized(payload, p.GetNormalizePayloadInMetadata().GetSpaceDelimitedClaims())
	}
	if h := p.GetForwardPayloadHeader(); h != "" {
		raw, _ := json.Marshal(payload)
		out.Headers[strings.ToLower(h)] = base64.RawURLEncoding.EncodeToString(raw)
	}
	for _, c := range p.GetClaimToHeaders() {
		if v, ok := payload[c.GetClaimName()]; ok {
			out.Headers[strings.ToLower(c.GetHeaderName())] = claimString(v)
		}
	}
	if !p.GetForward() && tok.header != "" {
		delete(out.Headers, tok.header)
	}
}

// normalized is the payload as metadata holds it: each listed top-level
// claim whose value is a string becomes the list of its space-separated
// words (normalize_payload_in_metadata).
func normalized(payload map[string]any, spaceDelimited []string) map[string]any {
	out := make(map[string]any, len(payload))
	for k, v := range payload {
		out[k] = v
	}
	for _, c := range spaceDelimited {
		if v, ok := out[c].(string); ok {
			words := []any{}
			for _, w := range strings.Fields(v) {
				words = append(words, w)
			}
			out[c] = words
		}
	}
	return out
}

// claimString renders a claim as Envoy's claim_to_headers does: strings as
// they are, numbers and booleans as text, lists of strings joined by ",".
func claimString(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case []any:
		parts := make([]string, 0, len(c))
		for _, x := range c {
			parts = append(parts, fmt.Sprint(x))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

func copyHeaders(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}
