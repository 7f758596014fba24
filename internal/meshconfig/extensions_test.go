package meshconfig

import (
	"strings"
	"testing"
	"time"
)

func TestRateLimitProvidersWithDefaults(t *testing.T) {
	c := Default()
	err := c.ParseExtensions(`
rateLimitProviders:
- name: rls
  service: ratelimit.ratelimit.svc.cluster.local
  port: 8081
  domain: mesh
- name: strict
  service: rls.example.com
  port: 9000
  domain: edge
  timeout: 250ms
  failureModeDeny: true
`)
	if err != nil {
		t.Fatal(err)
	}
	p := c.RateLimitProvider("rls")
	if p == nil {
		t.Fatal("provider rls not found")
	}
	want := RateLimitProvider{Name: "rls", Service: "ratelimit.ratelimit.svc.cluster.local", Port: 8081, Domain: "mesh", Timeout: 20 * time.Millisecond}
	if *p != want {
		t.Errorf("rls = %+v, want %+v (Envoy's 20ms timeout, failure mode allow)", *p, want)
	}
	s := c.RateLimitProvider("strict")
	if s == nil || s.Timeout != 250*time.Millisecond || !s.FailureModeDeny {
		t.Errorf("strict = %+v, want timeout 250ms and failureModeDeny", s)
	}
	if c.RateLimitProvider("none") != nil {
		t.Error("an unknown name must give nil")
	}
	if got := len(c.RateLimitProviders()); got != 2 {
		t.Errorf("%d providers, want 2", got)
	}
}

func TestEmptyExtensionsKeyHasNoProviders(t *testing.T) {
	for _, text := range []string{"", "\n", "rateLimitProviders: []"} {
		c := Default()
		if err := c.ParseExtensions(text); err != nil {
			t.Errorf("%q: %v", text, err)
		}
		if len(c.RateLimitProviders()) != 0 {
			t.Errorf("%q: providers %v", text, c.RateLimitProviders())
		}
	}
	var nilConfig *Config
	if nilConfig.RateLimitProvider("x") != nil || nilConfig.RateLimitProviders() != nil {
		t.Error("a nil Config has no providers")
	}
}

func TestBadExtensionsAreRefusedByField(t *testing.T) {
	const ok = "  service: rls.ns.svc.cluster.local\n  port: 8081\n  domain: d\n"
	cases := map[string]struct{ text, want string }{
		"unknown top-level": {"rateLimitProvider: []", `unknown field "rateLimitProvider"`},
		"misspelt field":    {"rateLimitProviders:\n- name: a\n" + ok + "  failureModeDenied: true\n", `unknown field "failureModeDenied"`},
		"no name":           {"rateLimitProviders:\n- port: 1\n  service: s\n  domain: d\n", "rateLimitProviders[0].name: required"},
		"twice":             {"rateLimitProviders:\n- name: a\n" + ok + "- name: a\n" + ok, `rateLimitProviders[1].name: provider "a" is defined twice`},
		"no service":        {"rateLimitProviders:\n- name: a\n  port: 1\n  domain: d\n", "rateLimitProviders[0].service: required"},
		"bad service":       {"rateLimitProviders:\n- name: a\n  service: 'http://x'\n  port: 1\n  domain: d\n", "rateLimitProviders[0].service:"},
		"no port":           {"rateLimitProviders:\n- name: a\n  service: s\n  domain: d\n", "rateLimitProviders[0].port: 0 is not a port number"},
		"port too big":      {"rateLimitProviders:\n- name: a\n  service: s\n  port: 70000\n  domain: d\n", "rateLimitProviders[0].port: 70000"},
		"no domain":         {"rateLimitProviders:\n- name: a\n  service: s\n  port: 1\n", "rateLimitProviders[0].domain: required"},
		"bad timeout":       {"rateLimitProviders:\n- name: a\n" + ok + "  timeout: soon\n", `rateLimitProviders[0].timeout: "soon"`},
		"negative timeout":  {"rateLimitProviders:\n- name: a\n" + ok + "  timeout: -1s\n", `rateLimitProviders[0].timeout: "-1s"`},
		"wrong type":        {"rateLimitProviders:\n- name: a\n" + ok + "  failureModeDeny: maybe\n", "failureModeDeny"},
		"not a mapping":     {"- a\n", "cannot unmarshal array"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := Default()
			c.Source = "ConfigMap sailplane-system/istio"
			err := c.ParseExtensions(tc.text)
			if err == nil {
				t.Fatalf("accepted; want error containing %q", tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, `ConfigMap sailplane-system/istio: key "sailplane"`) {
				t.Errorf("error %q: want it to name the ConfigMap, key and %q", msg, tc.want)
			}
			if len(c.RateLimitProviders()) != 0 {
				t.Error("a refused document must leave no providers")
			}
		})
	}
}
