package model

import "testing"

func rlp(name, ns, created, spec string) string {
	return "apiVersion: policy.sailplane.io/v1alpha1\nkind: RateLimitPolicy\nmetadata: {name: " + name + ", namespace: " + ns +
		", creationTimestamp: \"" + created + "\"}\nspec: " + spec
}

const rlRule = "rules: [{name: all, local: {maxTokens: 1, fillInterval: 1s}}]"

// TestRateLimitScope: the oldest policy targeting a workload (by selector
// or through a Service) wins over its namespace's, which wins over the
// mesh's; a Gateway target applies to the proxies serving that Gateway;
// another namespace's policies never apply.
func TestRateLimitScope(t *testing.T) {
	const (
		t1 = "2026-01-01T00:00:00Z"
		t2 = "2026-01-02T00:00:00Z"
	)
	m := Build(decode(t,
		reviewsService,
		`apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: istio-system}
spec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}`,
		rlp("mesh", "istio-system", t1, "{"+rlRule+"}"),
		rlp("gateway", "istio-system", t1, "{targetRef: {group: networking.istio.io, kind: Gateway, name: web}, "+rlRule+"}"),
		rlp("ns", "default", t1, "{"+rlRule+"}"),
		rlp("by-service", "default", t2, "{targetRef: {kind: Service, name: reviews}, "+rlRule+"}"),
		rlp("by-selector", "default", t1, "{selector: {matchLabels: {app: reviews, version: v1}}, "+rlRule+"}"),
		rlp("other", "dev", t1, "{selector: {matchLabels: {app: reviews}}, "+rlRule+"}"),
	))
	name := func(r *RateLimit) string {
		if r == nil {
			return "none"
		}
		return r.Ref.String()
	}
	for _, tc := range []struct {
		ns       string
		labels   map[string]string
		gateways []string
		want     string
	}{
		{"default", map[string]string{"app": "reviews", "version": "v1"}, nil, "default/by-selector"}, // older than by-service
		{"default", map[string]string{"app": "reviews", "version": "v2"}, nil, "default/by-service"},
		{"default", map[string]string{"app": "ratings"}, nil, "default/ns"},
		{"prod", map[string]string{"app": "reviews"}, nil, "istio-system/mesh"},
		{"istio-system", map[string]string{"istio": "ingressgateway"}, []string{"istio-system/web"}, "istio-system/gateway"},
		{"istio-system", map[string]string{"istio": "egressgateway"}, nil, "istio-system/mesh"},
	} {
		if got := name(m.RateLimitFor(tc.ns, tc.labels, tc.gateways)); got != tc.want {
			t.Errorf("%s %v %v: %s, want %s", tc.ns, tc.labels, tc.gateways, got, tc.want)
		}
	}
	for _, ref := range m.Status.Objects() {
		if ref.Kind == "RateLimitPolicy" && len(m.Status.Problems(ref)) > 0 {
			t.Errorf("%s: unexpected problems %v", ref, m.Status.Problems(ref))
		}
	}
}

// A policy with a bad rule keeps its good ones; the bad one is reported
// by index and left out.
func TestRateLimitBadRuleLeftOut(t *testing.T) {
	m := Build(decode(t, rlp("p", "default", "2026-01-01T00:00:00Z",
		"{rules: [{name: ok, local: {maxTokens: 2, fillInterval: 1s}}, {name: bad, match: {method: GET}, local: {maxTokens: 1, tokensPerFill: 5, fillInterval: 1s}}]}")))
	r := m.RateLimitFor("default", map[string]string{"app": "x"}, nil)
	if r == nil || len(r.Rules) != 1 || r.Rules[0].Name != "ok" || r.Rules[0].TokensPerFill != 1 {
		t.Fatalf("want the ok rule alone with the default tokensPerFill 1, got %+v", r)
	}
	ps := m.Status.Problems(RateLimitRef(r.Ref))
	if len(ps) != 1 || ps[0].Field != "spec.rules[1]" {
		t.Errorf("want one problem on spec.rules[1], got %v", ps)
	}
}
