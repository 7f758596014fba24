package model

import (
	"slices"
	"testing"
)

func ra(name, ns, created, spec string) string {
	return "apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: " + name + ", namespace: " + ns +
		", creationTimestamp: \"" + created + "\"}\nspec: " + spec
}

func rule(iss string) string { return "{issuer: " + iss + ", jwks: '{\"keys\":[{\"kty\":\"EC\"}]}'}" }

// TestJWTRulesScope checks which rules apply to a workload and in what
// order: its namespace's policies (those without a selector and those
// whose selector matches), then the root namespace's the same way, each
// oldest first (then by name), all merged; never another namespace's, never a targetRef
// policy's.
func TestJWTRulesScope(t *testing.T) {
	const (
		t1 = "2026-01-01T00:00:00Z"
		t2 = "2026-01-02T00:00:00Z"
	)
	m := Build(decode(t,
		ra("newer-ns", "prod", t2, "{jwtRules: ["+rule("ns-2")+"]}"),
		ra("older-ns", "prod", t1, "{jwtRules: ["+rule("ns-1a")+", "+rule("ns-1b")+"]}"),
		ra("web", "prod", t1, "{selector: {matchLabels: {app: web}}, jwtRules: ["+rule("web")+"]}"),
		ra("db", "prod", t1, "{selector: {matchLabels: {app: db}}, jwtRules: ["+rule("db")+"]}"),
		ra("mesh", "istio-system", t1, "{jwtRules: ["+rule("mesh")+"]}"),
		ra("mesh-web", "istio-system", t2, "{selector: {matchLabels: {app: web}}, jwtRules: ["+rule("mesh-web")+"]}"),
		ra("dev", "dev", t1, "{jwtRules: ["+rule("dev")+"]}"),
		ra("waypoint", "prod", t1, "{targetRef: {kind: Service, name: w}, jwtRules: ["+rule("waypoint")+"]}"),
	))
	issuers := func(ns string, labels map[string]string) []string {
		var out []string
		for _, r := range m.JWTRulesFor(ns, labels) {
			out = append(out, r.Issuer)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		ns     string
		labels map[string]string
		want   []string
	}{
		{"web pod in prod", "prod", map[string]string{"app": "web"}, []string{"ns-1a", "ns-1b", "web", "ns-2", "mesh", "mesh-web"}},
		{"db pod in prod", "prod", map[string]string{"app": "db"}, []string{"db", "ns-1a", "ns-1b", "ns-2", "mesh"}}, // same age: by name
		{"unlabelled pod in prod", "prod", nil, []string{"ns-1a", "ns-1b", "ns-2", "mesh"}},
		{"pod in a namespace without policies", "stage", map[string]string{"app": "web"}, []string{"mesh", "mesh-web"}},
		{"pod in the root namespace", "istio-system", nil, []string{"mesh"}},
	} {
		if got := issuers(tc.ns, tc.labels); !slices.Equal(got, tc.want) {
			t.Errorf("%s: rules %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestJWTRuleDefaults checks the locations a rule reads tokens from: the
// defaults only when it names none, else exactly what it names.
func TestJWTRuleDefaults(t *testing.T) {
	m := Build(decode(t,
		ra("a", "prod", "2026-01-01T00:00:00Z", "{jwtRules: ["+rule("plain")+", "+
			"{issuer: cookie, jwks: '{\"keys\":[{\"kty\":\"EC\"}]}', fromCookies: [session]}, "+
			"{issuer: timed, jwksUri: 'https://keys.example.com:8443/jwks', timeout: 2s}]}"),
	))
	rules := m.JWTRulesFor("prod", nil)
	if len(rules) != 3 {
		t.Fatalf("want 3 rules, got %d (status %v)", len(rules), m.Status.Lines())
	}
	if h := rules[0].FromHeaders; len(h) != 1 || h[0] != (JWTHeader{"Authorization", "Bearer "}) || !slices.Equal(rules[0].FromParams, []string{"access_token"}) {
		t.Errorf("default locations: headers %v params %v", h, rules[0].FromParams)
	}
	if len(rules[1].FromHeaders)+len(rules[1].FromParams) != 0 || !slices.Equal(rules[1].FromCookies, []string{"session"}) {
		t.Errorf("cookie-only rule reads %v %v %v", rules[1].FromHeaders, rules[1].FromParams, rules[1].FromCookies)
	}
	if u := rules[2].JWKSURI; u == nil || u.Host != "keys.example.com" || u.Port != 8443 || !u.TLS || u.Timeout.String() != "2s" {
		t.Errorf("jwksUri parsed as %+v", u)
	}
	if len(m.Status.Lines()) != 0 {
		t.Errorf("good rules got problems: %v", m.Status.Lines())
	}
}
