package translate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jwtv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/jwt_authn/v3"
	jose "github.com/go-jose/go-jose/v4"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// testKeys are the issuers' signing keys, made for the test run, and a
// forger's key published under the same key id as the real RSA key.
type testKeys struct {
	rsa, forger *rsa.PrivateKey
	ec, other   *ecdsa.PrivateKey
}

func newTestKeys(t *testing.T) *testKeys {
	t.Helper()
	k := &testKeys{}
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.forger, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	if k.other, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	return k
}

func jwks(t *testing.T, keys ...jose.JSONWebKey) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sign makes a compact JWS of claims with key under kid.
func sign(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func requestAuthn(ns, name string, selector map[string]securityv1.LabelValue, rules ...securityv1.JWTRule) securityv1.RequestAuthentication {
	ra := securityv1.RequestAuthentication{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	ra.Spec.JWTRules = rules
	if selector != nil {
		ra.Spec.Selector = &securityv1.WorkloadSelector{MatchLabels: selector}
	}
	return ra
}

// jwtMesh is the base mesh with two policies for ratings: its own
// (issuer.test, RSA and EC keys inline, audience "ratings") and the
// mesh's (other.test, another EC key), so the filter has two providers.
func jwtMesh(t *testing.T, k *testKeys) *bundle.Bundle {
	t.Helper()
	b, _, err := Load([]string{"testdata/mesh.base.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	b.RequestAuthentications = []securityv1.RequestAuthentication{
		requestAuthn("default", "ratings", map[string]securityv1.LabelValue{"app": "ratings"}, securityv1.JWTRule{
			Issuer:    "https://issuer.test",
			Audiences: []securityv1.NonEmptyString{"ratings"},
			JWKS: jwks(t,
				jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "rsa", Algorithm: string(jose.RS256), Use: "sig"},
				jose.JSONWebKey{Key: &k.ec.PublicKey, KeyID: "ec", Algorithm: string(jose.ES256), Use: "sig"}),
		}),
		requestAuthn("istio-system", "mesh", nil, securityv1.JWTRule{
			Issuer: "https://other.test",
			JWKS:   jwks(t, jose.JSONWebKey{Key: &k.other.PublicKey, KeyID: "other", Algorithm: string(jose.ES256), Use: "sig"}),
		}),
	}
	return b
}

// TestJWTSimulation runs requests through the jwt_authn filter sailplane
// generated for ratings' inbound port, verifying tokens with a real JOSE
// library against the keys, issuers and audiences the config holds.
func TestJWTSimulation(t *testing.T) {
	k := newTestKeys(t)
	res, err := Run(jwtMesh(t, k), ParseProxy("ratings-v1.default"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(iss string, aud any, exp time.Time) map[string]any {
		return map[string]any{"iss": iss, "sub": "alice", "aud": aud, "exp": exp.Unix(), "iat": now.Unix()}
	}
	good := claims("https://issuer.test", "ratings", now.Add(time.Hour))
	rsaTok := sign(t, jose.RS256, k.rsa, "rsa", good)
	with := func(c map[string]any, key, v string) map[string]any {
		out := map[string]any{}
		for k, x := range c {
			out[k] = x
		}
		out[key] = v
		return out
	}
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	cases := []struct {
		name     string
		path     string
		headers  map[string]string
		refused  string // substring of the refusal; "" passes
		provider string // provider that verified; "" for none
	}{
		{"RSA token", "/ratings/1", bearer(rsaTok), "", names.JWTProvider(0)},
		{"EC token", "/ratings/1", bearer(sign(t, jose.ES256, k.ec, "ec", good)), "", names.JWTProvider(0)},
		{"root namespace issuer", "/", bearer(sign(t, jose.ES256, k.other, "other", claims("https://other.test", "anyone", now.Add(time.Hour)))), "", names.JWTProvider(1)},
		{"audience list with ratings", "/", bearer(sign(t, jose.RS256, k.rsa, "rsa", claims("https://issuer.test", []string{"web", "ratings"}, now.Add(time.Hour)))), "", names.JWTProvider(0)},
		{"token in access_token", "/ratings/1?access_token=" + rsaTok, nil, "", names.JWTProvider(0)},
		{"no token", "/ratings/1", nil, "", ""},
		{"token where no provider reads", "/", map[string]string{"x-token": rsaTok}, "", ""},
		{"not a bearer token", "/", map[string]string{"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "", ""},
		{"forged: wrong key, same kid", "/", bearer(sign(t, jose.RS256, k.forger, "rsa", good)), "verification fails", ""},
		{"forged: issuer's claims, other issuer's key", "/", bearer(sign(t, jose.ES256, k.other, "ec", good)), "verification fails", ""},
		{"forged: unknown issuer", "/", bearer(sign(t, jose.RS256, k.rsa, "rsa", with(good, "iss", "https://evil.test"))), "not configured", ""},
		{"forged: other issuer named, this issuer's key", "/", bearer(sign(t, jose.RS256, k.rsa, "rsa", with(good, "iss", "https://other.test"))), "verification fails", ""},
		{"wrong audience", "/", bearer(sign(t, jose.RS256, k.rsa, "rsa", with(good, "aud", "billing"))), "Audiences", ""},
		{"expired", "/", bearer(sign(t, jose.RS256, k.rsa, "rsa", claims("https://issuer.test", "ratings", now.Add(-time.Hour)))), "expired", ""},
		{"not yet valid", "/", bearer(sign(t, jose.RS256, k.rsa, "rsa", map[string]any{"iss": "https://issuer.test", "aud": "ratings", "nbf": now.Add(time.Hour).Unix()})), "not yet valid", ""},
		{"garbage token", "/", bearer("not.a.jwt"), "Header.Payload.Signature", ""},
		{"forged token in access_token", "/?access_token=" + sign(t, jose.RS256, k.forger, "rsa", good), nil, "verification fails", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := simulate.InboundJWT(res.Resources, 9080, simulate.Request{Method: "GET", Path: tc.path, Headers: tc.headers}, now)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.refused == "" && got.Refused != "":
				t.Fatalf("refused (%s); want it to pass", got.Refused)
			case tc.refused != "" && !strings.Contains(got.Refused, tc.refused):
				t.Fatalf("refusal %q; want one containing %q", got.Refused, tc.refused)
			case got.Provider != tc.provider:
				t.Fatalf("verified by %q, want %q", got.Provider, tc.provider)
			}
			payload := got.Metadata[names.JWTPayloadKey]
			if tc.provider != "" && payload["sub"] != "alice" {
				t.Errorf("metadata %q holds %v; want the verified payload (sub alice)", names.JWTPayloadKey, payload)
			}
			if tc.provider == "" && payload != nil {
				t.Errorf("no token verified, yet metadata holds %v", payload)
			}
		})
	}
}

// TestJWTForwardAndHeaders checks what a verified token leaves in the
// request: by default the token is taken out of its header; with
// forwardOriginalToken it stays; the payload and claim headers are set.
func TestJWTForwardAndHeaders(t *testing.T) {
	k := newTestKeys(t)
	b := jwtMesh(t, k)
	rule := &b.RequestAuthentications[0].Spec.JWTRules[0]
	rule.ForwardOriginalToken = true
	rule.OutputPayloadToHeader = "x-jwt-payload"
	rule.OutputClaimToHeaders = []securityv1.ClaimToHeader{{Header: "x-jwt-sub", Claim: "sub"}}
	res, err := Run(b, ParseProxy("ratings-v1.default"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok := sign(t, jose.RS256, k.rsa, "rsa", map[string]any{"iss": "https://issuer.test", "sub": "alice", "aud": "ratings"})
	got, err := simulate.InboundJWT(res.Resources, 9080, simulate.Request{Path: "/", Headers: map[string]string{"Authorization": "Bearer " + tok}}, now)
	if err != nil || got.Refused != "" {
		t.Fatalf("refused %q, err %v", got.Refused, err)
	}
	if got.Headers["authorization"] != "Bearer "+tok {
		t.Errorf("forwardOriginalToken: the token should stay, headers %v", got.Headers)
	}
	if got.Headers["x-jwt-sub"] != "alice" || got.Headers["x-jwt-payload"] == "" {
		t.Errorf("claim and payload headers missing: %v", got.Headers)
	}

	// The mesh-wide rule does not forward: its verified token is removed.
	other := sign(t, jose.ES256, k.other, "other", map[string]any{"iss": "https://other.test", "sub": "alice"})
	got, err = simulate.InboundJWT(res.Resources, 9080, simulate.Request{Path: "/", Headers: map[string]string{"Authorization": "Bearer " + other}}, now)
	if err != nil || got.Refused != "" {
		t.Fatalf("refused %q, err %v", got.Refused, err)
	}
	if _, kept := got.Headers["authorization"]; kept {
		t.Errorf("a token not forwarded should be removed, headers %v", got.Headers)
	}
}

// TestJWTFilterValidates checks the generated jwt_authn config the way
// Envoy's proto validation does, that the config as a whole is consistent,
// and that validation is not vacuous: a provider without keys fails it.
func TestJWTFilterValidates(t *testing.T) {
	k := newTestKeys(t)
	res, err := Run(jwtMesh(t, k), ParseProxy("ratings-v1.default"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range xds.CheckConsistency(res.Resources) {
		t.Errorf("inconsistent: %v", e)
	}
	hcm, err := simulate.InboundHCM(res.Resources, 9080)
	if err != nil {
		t.Fatal(err)
	}
	if first := hcm.GetHttpFilters()[0].GetName(); first != names.JWTAuthnFilter {
		t.Fatalf("first HTTP filter is %s, want %s", first, names.JWTAuthnFilter)
	}
	cfg, err := simulate.JWTFilter(hcm)
	if err != nil || cfg == nil {
		t.Fatalf("no jwt_authn config: %v", err)
	}
	if err := cfg.ValidateAll(); err != nil {
		t.Fatalf("generated jwt_authn config invalid: %v", err)
	}
	if len(cfg.Providers) != 2 {
		t.Fatalf("want 2 providers, got %v", cfg.Providers)
	}
	broken := proto.Clone(cfg).(*jwtv3.JwtAuthentication)
	broken.Providers[names.JWTProvider(0)].JwksSourceSpecifier = nil
	if err := broken.ValidateAll(); err == nil {
		t.Fatal("a provider without keys passed validation")
	}
}

// TestJWTRequiredPresence: with presence REQUIRED on ratings' rule, a
// request without that rule's valid token is refused even when it has
// none at all or carries another issuer's valid token; with it, it passes.
func TestJWTRequiredPresence(t *testing.T) {
	k := newTestKeys(t)
	b := jwtMesh(t, k)
	b.RequestAuthentications[0].Spec.JWTRules[0].Presence = securityv1.JWTRequired
	res, err := Run(b, ParseProxy("ratings-v1.default"))
	if err != nil {
		t.Fatal(err)
	}
	hcm, err := simulate.InboundHCM(res.Resources, 9080)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := simulate.JWTFilter(hcm); cfg == nil || cfg.ValidateAll() != nil || cfg.Rules[0].GetRequires().GetRequiresAll() == nil {
		t.Fatalf("want a valid requires_all requirement, got %v", cfg)
	}
	now := time.Now()
	mine := sign(t, jose.RS256, k.rsa, "rsa", map[string]any{"iss": "https://issuer.test", "sub": "alice", "aud": "ratings"})
	other := sign(t, jose.ES256, k.other, "other", map[string]any{"iss": "https://other.test", "sub": "alice"})
	for _, tc := range []struct {
		name, token string
		pass        bool
	}{
		{"no token", "", false},
		{"another issuer's valid token", other, false},
		{"the required issuer's token", mine, true},
	} {
		req := simulate.Request{Path: "/", Headers: map[string]string{}}
		if tc.token != "" {
			req.Headers["authorization"] = "Bearer " + tc.token
		}
		got, err := simulate.JWTAuthn(hcm, req, now)
		if err != nil {
			t.Fatal(err)
		}
		if (got.Refused == "") != tc.pass {
			t.Errorf("%s: refused %q, want pass=%v", tc.name, got.Refused, tc.pass)
		}
	}
}

// TestJWTSpaceDelimitedClaims: scope and permission, and the rule's own
// spaceDelimitedClaims, reach the metadata RBAC reads as lists of words.
func TestJWTSpaceDelimitedClaims(t *testing.T) {
	k := newTestKeys(t)
	b := jwtMesh(t, k)
	b.RequestAuthentications[0].Spec.JWTRules[0].SpaceDelimitedClaims = []securityv1.NonEmptyString{"roles"}
	res, err := Run(b, ParseProxy("ratings-v1.default"))
	if err != nil {
		t.Fatal(err)
	}
	tok := sign(t, jose.RS256, k.rsa, "rsa", map[string]any{"iss": "https://issuer.test", "sub": "alice", "aud": "ratings",
		"scope": "read write", "roles": "admin dev", "team": "a b"})
	got, err := simulate.InboundJWT(res.Resources, 9080, simulate.Request{Path: "/", Headers: map[string]string{"Authorization": "Bearer " + tok}}, time.Now())
	if err != nil || got.Refused != "" {
		t.Fatalf("refused %q, err %v", got.Refused, err)
	}
	p := got.Metadata[names.JWTPayloadKey]
	want := map[string]any{"scope": []any{"read", "write"}, "roles": []any{"admin", "dev"}, "team": "a b"}
	for c, w := range want {
		if g, _ := json.Marshal(p[c]); string(g) != mustJSON(t, w) {
			t.Errorf("claim %s in metadata is %s, want %s", c, g, mustJSON(t, w))
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestJWTGateway: a RequestAuthentication selecting the ingress gateway's
// pods puts jwt_authn on the gateway's HTTP connection manager: a signed
// token passes, a forged one is refused, no token passes.
func TestJWTGateway(t *testing.T) {
	k := newTestKeys(t)
	b, _, err := Load([]string{"testdata/mesh.base.yaml", "testdata/ingressgateway.yaml", "testdata/jwt-gateway.in.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	rule := &b.RequestAuthentications[0].Spec.JWTRules[0]
	rule.JWKSURI = ""
	rule.JWKS = jwks(t, jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "rsa", Algorithm: string(jose.RS256), Use: "sig"})
	res, err := Run(b, ParseProxy("istio-ingressgateway.istio-system"))
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"iss": "https://accounts.example.com", "sub": "alice"}
	for _, tc := range []struct {
		name, token string
		pass        bool
	}{
		{"signed", sign(t, jose.RS256, k.rsa, "rsa", claims), true},
		{"forged", sign(t, jose.RS256, k.forger, "rsa", claims), false},
		{"none", "", true},
	} {
		req := simulate.Request{Authority: "bookinfo.example.com", Port: 80, Path: "/", Headers: map[string]string{}}
		if tc.token != "" {
			req.Headers["authorization"] = "Bearer " + tc.token
		}
		got, err := simulate.GatewayJWT(res.Resources, req, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if (got.Refused == "") != tc.pass {
			t.Errorf("%s: refused %q, want pass=%v", tc.name, got.Refused, tc.pass)
		}
	}
}

// TestJWKSClusterOnlyWhereUsed: a namespace-wide jwksUri rule gives an
// HTTP workload its fetch cluster, and a TCP-only workload (mysqldb)
// neither jwt_authn nor a cluster Envoy would resolve for nothing.
func TestJWKSClusterOnlyWhereUsed(t *testing.T) {
	b, _, err := Load([]string{"testdata/mesh.base.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	b.RequestAuthentications = []securityv1.RequestAuthentication{requestAuthn("default", "all", nil,
		securityv1.JWTRule{Issuer: "https://issuer.test", JWKSURI: "https://keys.example.com/jwks"})}
	cluster := names.JWKSCluster("keys.example.com", 443)
	for proxy, want := range map[string]bool{"ratings-v1.default": true, "mysqldb-v1.default": false} {
		res, err := Run(b, ParseProxy(proxy))
		if err != nil {
			t.Fatal(err)
		}
		got := false
		for _, c := range res.Resources.Clusters {
			got = got || c.Name == cluster
		}
		if got != want {
			t.Errorf("%s: cluster %s present %v, want %v", proxy, cluster, got, want)
		}
		for _, e := range xds.CheckConsistency(res.Resources) {
			t.Errorf("%s: %v", proxy, e)
		}
	}
}
