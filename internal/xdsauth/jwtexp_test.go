package xdsauth

import (
	"encoding/base64"
	"testing"
	"time"
)

func jwtWithPayload(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(payload)) + ".c2ln"
}

func TestJWTExpiry(t *testing.T) {
	exp, ok := jwtExpiry(jwtWithPayload(`{"exp":1900000000,"sub":"x"}`))
	if !ok || !exp.Equal(time.Unix(1900000000, 0)) {
		t.Fatalf("jwtExpiry = %v, %v; want 1900000000", exp, ok)
	}
	for name, tok := range map[string]string{
		"no exp":     jwtWithPayload(`{"sub":"x"}`),
		"exp string": jwtWithPayload(`{"exp":"soon"}`),
		"not json":   jwtWithPayload(`exp`),
		"static":     "abcdef0123456789",
		"two parts":  "a.b",
		"bad base64": "a.!!!.c",
		"negative":   jwtWithPayload(`{"exp":-5}`),
	} {
		if exp, ok := jwtExpiry(tok); ok {
			t.Errorf("%s: jwtExpiry(%q) = %v, want none", name, tok, exp)
		}
	}
}
