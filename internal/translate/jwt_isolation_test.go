package translate

import (
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"k8s.io/apimachinery/pkg/types"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/configdump"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// TestBadRequestAuthenticationIsolated adds broken RequestAuthentications
// for reviews (in default) and for the shop namespace to a mesh with a
// good one for ratings: every other workload's config stays byte for byte
// what it was, the broken policies are reported on their own fields,
// reviews keeps a valid, consistent config that refuses the broken rules'
// issuers' tokens and passes requests without one.
func TestBadRequestAuthenticationIsolated(t *testing.T) {
	k := newTestKeys(t)
	others := []string{"ratings-v1.default", "frontend-v1.default", "reviews-v1.default"}
	before := map[string]string{}
	for _, p := range others {
		before[p] = dumpFor(t, jwtMesh(t, k), p)
	}

	b := jwtMesh(t, k)
	good := b.RequestAuthentications[0].Spec.JWTRules[0].JWKS
	b.RequestAuthentications = append(b.RequestAuthentications,
		requestAuthn("default", "broken", map[string]securityv1.LabelValue{"app": "reviews", "version": "v2"},
			securityv1.JWTRule{JWKS: good},
			securityv1.JWTRule{Issuer: "garbled", JWKS: `{"keys": "nope"}`},
			securityv1.JWTRule{Issuer: "bad-header", JWKS: good, FromHeaders: []securityv1.JWTHeader{{Name: "x\nbad"}}},
			securityv1.JWTRule{Issuer: "both", JWKS: good, JWKSURI: "https://keys.example.com/jwks"},
			securityv1.JWTRule{Issuer: "bad-claim", JWKS: good, OutputClaimToHeaders: []securityv1.ClaimToHeader{{Header: "x sub", Claim: "sub"}}},
		),
		requestAuthn("shop", "broken-uri", nil, securityv1.JWTRule{Issuer: "shop", JWKSURI: "https://"}),
	)
	for _, p := range others {
		if got := dumpFor(t, b, p); got != before[p] {
			t.Errorf("%s: config changed by RequestAuthentications that do not apply to it", p)
		}
	}

	res, err := Run(b, ParseProxy("reviews-v2.default"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range xds.CheckConsistency(res.Resources) {
		t.Errorf("reviews-v2: inconsistent: %v", e)
	}
	hcm, err := simulate.InboundHCM(res.Resources, 9080)
	if err != nil {
		t.Fatalf("reviews-v2 lost its inbound HTTP chain: %v", err)
	}
	cfg, err := simulate.JWTFilter(hcm)
	if err != nil || cfg == nil || cfg.ValidateAll() != nil {
		t.Fatalf("reviews-v2: jwt_authn missing or invalid: %v", err)
	}
	now := time.Now()
	for _, iss := range []string{"garbled", "bad-header", "both", "bad-claim"} {
		tok := sign(t, jose.RS256, k.rsa, "rsa", map[string]any{"iss": iss, "sub": "alice"})
		got, err := simulate.InboundJWT(res.Resources, 9080, simulate.Request{Path: "/", Headers: map[string]string{"Authorization": "Bearer " + tok}}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Refused == "" {
			t.Errorf("a token of the broken rule's issuer %q passed; it must be refused", iss)
		}
	}
	if got, err := simulate.InboundJWT(res.Resources, 9080, simulate.Request{Path: "/"}, now); err != nil || got.Refused != "" {
		t.Errorf("a request without a token was refused (%q, %v)", got.Refused, err)
	}

	lines := strings.Join(res.Model.Status.Lines(), "\n")
	for _, want := range []string{
		"RequestAuthentication default/broken: jwtRules[0].issuer: issuer is required",
		"RequestAuthentication default/broken: jwtRules[1].jwks:",
		"RequestAuthentication default/broken: jwtRules[2].fromHeaders[0].name:",
		"RequestAuthentication default/broken: jwtRules[3].jwks: only one of jwks or jwksUri",
		"RequestAuthentication default/broken: jwtRules[4].outputClaimToHeaders[0].header:",
		"RequestAuthentication shop/broken-uri: jwtRules[0].jwksUri:",
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("status lacks %q; got:\n%s", want, lines)
		}
	}
	if p := res.Model.Status.Problems(model.ObjectRef{Kind: "RequestAuthentication", NamespacedName: types.NamespacedName{Namespace: "default", Name: "ratings"}}); len(p) != 0 {
		t.Errorf("the good policy got problems: %v", p)
	}
}

func dumpFor(t *testing.T, b *bundle.Bundle, proxy string) string {
	t.Helper()
	res, err := Run(b, ParseProxy(proxy))
	if err != nil {
		t.Fatal(err)
	}
	d, err := configdump.Build(res.Resources, "isolation")
	if err != nil {
		t.Fatal(err)
	}
	out, err := configdump.YAML(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
