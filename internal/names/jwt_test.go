package names

import "testing"

func TestJWKSClusterIsNotAServiceCluster(t *testing.T) {
	for host, want := range map[string]string{
		"keys.example.com": "jwks|keys.example.com:443",
		"10.0.0.1":         "jwks|10.0.0.1:443",
		"::1":              "jwks|[::1]:443",
	} {
		got := JWKSCluster(host, 443)
		if got != want {
			t.Errorf("JWKSCluster(%q) = %q, want %q", host, got, want)
		}
		if _, ok := ParseCluster(got); ok {
			t.Errorf("%q parses as a service cluster", got)
		}
	}
	if JWTProvider(3) != "origins-3" {
		t.Errorf("JWTProvider(3) = %q", JWTProvider(3))
	}
}
