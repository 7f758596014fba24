package trust

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
)

// expiredToken is a service-account token that the API server itself
// would have issued, signed with its own service-account key, except that
// it expired an hour ago. (TokenRequest will not issue a token shorter
// than ten minutes, so waiting for one to expire is not an option.)
func expiredToken(t *testing.T, w workload) string {
	t.Helper()
	return craftedToken(t, w, time.Now().Add(-time.Hour))
}

// craftedToken signs a bound token for the workload that expires at exp;
// with exp in the future the control plane accepts it (which the tests
// check, so that refusing the expired one proves the expiry is why).
func craftedToken(t *testing.T, w workload, exp time.Time) string {
	t.Helper()
	api := env.ControlPlane.APIServer
	raw, err := os.ReadFile(filepath.Join(api.CertDir, "sa-signer.key"))
	if err != nil {
		t.Fatal(err)
	}
	key := parseSigningKey(t, raw)
	now := time.Now()
	claims := map[string]any{
		"iss": api.SecureServing.URL("https", "/").String(),
		"sub": "system:serviceaccount:" + w.ns + ":" + w.sa,
		"aud": []string{defaults.TokenAudience},
		"iat": now.Add(-2 * time.Hour).Unix(),
		"nbf": now.Add(-2 * time.Hour).Unix(),
		"jti": w.pod + exp.String(),
		"exp": exp.Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      w.ns,
			"serviceaccount": map[string]any{"name": w.sa, "uid": serviceAccountUID(t, w)},
			"pod":            map[string]any{"name": w.pod, "uid": w.uid},
		},
	}
	header := map[string]any{"alg": key.alg(), "typ": "JWT"}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(header) + "." + enc(claims)
	return signing + "." + base64.RawURLEncoding.EncodeToString(key.sign(t, []byte(signing)))
}

// signingKey is the API server's service-account key, RSA or ECDSA.
type signingKey struct{ crypto.Signer }

func (k signingKey) alg() string {
	if _, ok := k.Signer.(*ecdsa.PrivateKey); ok {
		return "ES256"
	}
	return "RS256"
}

// sign makes a JWS signature: PKCS #1 v1.5 for RS256; for ES256 the two
// 32-byte halves r and s, as JWS wants them (not ASN.1).
func (k signingKey) sign(t *testing.T, data []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(data)
	if ec, ok := k.Signer.(*ecdsa.PrivateKey); ok {
		r, s, err := ecdsa.Sign(rand.Reader, ec, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		s.FillBytes(out[32:])
		return out
	}
	sig, err := k.Signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func parseSigningKey(t *testing.T, raw []byte) signingKey {
	t.Helper()
	block, _ := pem.Decode(raw)
	if block == nil {
		t.Fatal("service-account signing key is not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return signingKey{k}
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return signingKey{k}
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		t.Fatalf("service-account signing key is %T", k)
	}
	return signingKey{s}
}
