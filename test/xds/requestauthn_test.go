package xds

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
	"github.com/sailplane/sailplane/test/envtestutil"
)

func raCondition(t *testing.T, ns, name string) *metav1.Condition {
	t.Helper()
	ra := &securityv1.RequestAuthentication{}
	if err := k8s.Get(context.Background(), clientKey(ns, name), ra); err != nil {
		t.Fatal(err)
	}
	c := meta.FindStatusCondition(ra.Status.Conditions, "Accepted")
	if c != nil && (c.ObservedGeneration != ra.Generation || ra.Status.ObservedGeneration != ra.Generation) {
		return nil
	}
	return c
}

// A RequestAuthentication for productpage, applied to the API server,
// reaches its proxy over ADS as jwt_authn on the inbound HTTP chain: the
// served config accepts a token signed by the policy's key and refuses a
// forged one. A broken policy for reviews is reported in its own status
// and the good one is Accepted.
func TestRequestAuthenticationServed(t *testing.T) {
	const ns = "jwt"
	createMesh(t, ns)
	startReplica(t, true)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k", Algorithm: string(jose.ES256), Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	good := &securityv1.RequestAuthentication{}
	good.Name, good.Namespace = "productpage", ns
	good.Spec.Selector = &securityv1.WorkloadSelector{MatchLabels: map[string]securityv1.LabelValue{"app": "productpage"}}
	good.Spec.JWTRules = []securityv1.JWTRule{{Issuer: "https://issuer.test", JWKS: string(set)}}
	create(t, good)
	bad := &securityv1.RequestAuthentication{}
	bad.Name, bad.Namespace = "reviews", ns
	bad.Spec.Selector = &securityv1.WorkloadSelector{MatchLabels: map[string]securityv1.LabelValue{"app": "reviews"}}
	bad.Spec.JWTRules = []securityv1.JWTRule{{Issuer: "https://issuer.test", JWKS: "not a key set"}}
	create(t, bad)

	envtestutil.WaitFor(t, 30*time.Second, "Accepted=True on the good RequestAuthentication", func() bool {
		c := raCondition(t, ns, "productpage")
		return c != nil && c.Status == metav1.ConditionTrue
	})
	var cond *metav1.Condition
	envtestutil.WaitFor(t, 30*time.Second, "Accepted=False on the broken RequestAuthentication", func() bool {
		cond = raCondition(t, ns, "reviews")
		return cond != nil && cond.Status == metav1.ConditionFalse
	})
	if !strings.Contains(cond.Message, "jwtRules[0].jwks") {
		t.Errorf("status does not name the field: %q", cond.Message)
	}

	r := startReplica(t, false)
	c := dialSotW(t, r.xds, productpageNode(ns))
	res, _ := c.subscribe(t)
	for _, err := range xds.CheckConsistency(res) {
		t.Error(err)
	}
	hcm, err := simulate.InboundHCM(res, 9080)
	if err != nil {
		t.Fatal(err)
	}
	if first := hcm.GetHttpFilters()[0].GetName(); first != names.JWTAuthnFilter {
		t.Fatalf("served inbound chain starts with %s, want %s", first, names.JWTAuthnFilter)
	}
	tokenFrom := func(k *ecdsa.PrivateKey) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithHeader("kid", "k"))
		if err != nil {
			t.Fatal(err)
		}
		obj, err := s.Sign([]byte(`{"iss":"https://issuer.test","sub":"alice"}`))
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := obj.CompactSerialize()
		return tok
	}
	forger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		name, token string
		pass        bool
	}{
		{"signed by the policy's key", tokenFrom(key), true},
		{"forged", tokenFrom(forger), false},
		{"none", "", true},
	} {
		req := simulate.Request{Path: "/", Headers: map[string]string{}}
		if tc.token != "" {
			req.Headers["authorization"] = "Bearer " + tc.token
		}
		got, err := simulate.JWTAuthn(hcm, req, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if (got.Refused == "") != tc.pass {
			t.Errorf("%s: refused %q, want pass=%v", tc.name, got.Refused, tc.pass)
		}
	}
}
