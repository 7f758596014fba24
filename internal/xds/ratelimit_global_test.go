package xds

import (
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/meshconfig"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

var testProvider = meshconfig.RateLimitProvider{Name: "rls", Service: "rls.example.com", Port: 8081, Domain: "mesh", Timeout: 20 * time.Millisecond}

func globalRateLimitForTest() *model.RateLimit {
	return &model.RateLimit{Status: 429, GlobalRules: []model.GlobalRateLimitRule{
		{Name: "all", Provider: testProvider},
		{Name: "login", Match: &policyv1alpha1.RateLimitMatch{Method: "POST"}, Provider: testProvider},
	}}
}

func globalListener(r *model.RateLimit) *listenerv3.Listener {
	f := httpFilter(names.GlobalRateLimitFilter(testProvider.Name), globalRateLimitHTTP(r, testProvider))
	hcm := withGlobalRateLimit(hcmFilter(inboundHCMForTest()), []*hcmv3.HttpFilter{f})
	return &listenerv3.Listener{Name: "test", FilterChains: []*listenerv3.FilterChain{{Name: "c", Filters: []*listenerv3.Filter{hcm}}}}
}

// rlsClusters are the clusters the translation adds for the provider.
func rlsClusters(t *testing.T) map[string]*clusterv3.Cluster {
	cs, _ := telemetryClusters(&model.Model{Services: map[string]*model.Service{}}, []collector{{host: testProvider.Service, port: testProvider.Port, grpc: true}})
	if len(cs) != 1 {
		t.Fatalf("want one cluster, got %d", len(cs))
	}
	return map[string]*clusterv3.Cluster{cs[0].Name: cs[0]}
}

func TestGlobalRateLimitRefsFindBrokenFilters(t *testing.T) {
	l := globalListener(globalRateLimitForTest())
	if errs := globalRateLimitRefs(l, rlsClusters(t)); len(errs) > 0 {
		t.Fatalf("clean filter reported: %v", errs)
	}
	if errs := globalRateLimitRefs(l, nil); !strings.Contains(joinErrs(errs), "missing") {
		t.Errorf("a missing service cluster not reported: %v", errs)
	}
	plain := &clusterv3.Cluster{Name: names.RateLimitServiceCluster(testProvider.Port, testProvider.Service)}
	if errs := globalRateLimitRefs(l, map[string]*clusterv3.Cluster{plain.Name: plain}); !strings.Contains(joinErrs(errs), "not HTTP/2") {
		t.Errorf("an HTTP/1 service cluster not reported: %v", errs)
	}

	cfg := globalRateLimitHTTP(globalRateLimitForTest(), testProvider)
	cfg.RateLimits[0].Actions[0].GetGenericKey().DescriptorKey = "other"
	broken := &listenerv3.Listener{Name: "test", FilterChains: []*listenerv3.FilterChain{{Name: "c", Filters: []*listenerv3.Filter{
		withGlobalRateLimit(hcmFilter(inboundHCMForTest()), []*hcmv3.HttpFilter{httpFilter(names.GlobalRateLimitFilter("rls"), cfg)}),
	}}}}
	if errs := globalRateLimitRefs(broken, rlsClusters(t)); !strings.Contains(joinErrs(errs), "produces no sailplane_rule entry") {
		t.Errorf("an action without the rule key not reported: %v", errs)
	}
	cfg.RateLimits = nil
	broken.FilterChains[0].Filters[0] = withGlobalRateLimit(hcmFilter(inboundHCMForTest()), []*hcmv3.HttpFilter{httpFilter(names.GlobalRateLimitFilter("rls"), cfg)})
	if errs := globalRateLimitRefs(broken, rlsClusters(t)); !strings.Contains(joinErrs(errs), "no rate_limits action") {
		t.Errorf("a filter that never asks not reported: %v", errs)
	}
	cfg.Domain = ""
	broken.FilterChains[0].Filters[0] = withGlobalRateLimit(hcmFilter(inboundHCMForTest()), []*hcmv3.HttpFilter{httpFilter(names.GlobalRateLimitFilter("rls"), cfg)})
	if errs := globalRateLimitRefs(broken, rlsClusters(t)); !strings.Contains(joinErrs(errs), "invalid Envoy config") {
		t.Errorf("an empty domain (Envoy refuses it) not reported: %v", errs)
	}
}

// Every global rule produces its descriptor: a generic key without match,
// a header match with one; the filter carries the provider's settings.
func TestGlobalRateLimitDescriptors(t *testing.T) {
	p := testProvider
	p.FailureModeDeny = true
	r := globalRateLimitForTest()
	for i := range r.GlobalRules {
		r.GlobalRules[i].Provider = p
	}
	cfg := globalRateLimitHTTP(r, p)
	if cfg.Domain != "mesh" || !cfg.FailureModeDeny || cfg.Timeout.AsDuration() != 20*time.Millisecond {
		t.Errorf("provider settings lost: domain %q failureModeDeny %v timeout %v", cfg.Domain, cfg.FailureModeDeny, cfg.Timeout.AsDuration())
	}
	if len(cfg.RateLimits) != 2 {
		t.Fatalf("want 2 rate_limits, got %d", len(cfg.RateLimits))
	}
	if g := cfg.RateLimits[0].Actions[0].GetGenericKey(); g.GetDescriptorKey() != names.RateLimitRuleKey || g.GetDescriptorValue() != "all" {
		t.Errorf("rule all: %v", cfg.RateLimits[0])
	}
	h := cfg.RateLimits[1].Actions[0].GetHeaderValueMatch()
	if h.GetDescriptorValue() != "login" || len(h.GetHeaders()) != 1 || h.GetHeaders()[0].GetName() != ":method" {
		t.Errorf("rule login: %v", cfg.RateLimits[1])
	}

	// A matched header's value is an entry of the descriptor.
	r.GlobalRules[1].Match = &policyv1alpha1.RateLimitMatch{Headers: map[string]networkingv1.StringMatch{"x-user-id": {}, "x-b": {}}}
	acts := globalRateLimitHTTP(r, p).RateLimits[1].Actions
	if len(acts) != 3 || acts[1].GetRequestHeaders().GetDescriptorKey() != "x-b" || acts[2].GetRequestHeaders().GetHeaderName() != "x-user-id" {
		t.Errorf("header entries: %v, want the rule key then x-b and x-user-id", acts)
	}
}

// The ratelimit filter goes after the local one (a request over the local
// burst costs the service no call) and before the router.
func TestGlobalRateLimitFilterOrder(t *testing.T) {
	local := &model.RateLimit{Status: 429, Rules: []model.RateLimitRule{{Name: "all", MaxTokens: 1, TokensPerFill: 1, FillInterval: time.Second}}}
	f := withLocalRateLimit(hcmFilter(inboundHCMForTest()), localRateLimitHTTP(local))
	f = withGlobalRateLimit(f, []*hcmv3.HttpFilter{httpFilter(names.GlobalRateLimitFilter("rls"), globalRateLimitHTTP(globalRateLimitForTest(), testProvider))})
	var hcm hcmv3.HttpConnectionManager
	if err := f.GetTypedConfig().UnmarshalTo(&hcm); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hcm.HttpFilters {
		got = append(got, h.Name)
	}
	li, gi, ri := index(got, names.LocalRateLimitFilter), index(got, names.GlobalRateLimitFilter("rls")), index(got, names.RouterFilter)
	if li < 0 || gi < 0 || ri < 0 || !(li < gi && gi < ri) {
		t.Errorf("filter order %v: want local_ratelimit, then ratelimit.rls, then router", got)
	}
}

func index(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// A rate limit service that is also a telemetry collector (same host and
// port) gets one cluster, not two of one name (Envoy refuses those).
func TestRateLimitServiceSharedWithCollector(t *testing.T) {
	b := &bundle.Bundle{}
	if _, err := b.Decode("test.yaml", strings.NewReader(mesh)); err != nil {
		t.Fatal(err)
	}
	c, err := meshconfig.Parse("ConfigMap sailplane-system/istio", zipkinMesh)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ParseExtensions("rateLimitProviders:\n- {name: rls, service: otel.observability.svc.cluster.local, port: 4317, domain: mesh}\n"); err != nil {
		t.Fatal(err)
	}
	b.Mesh = c
	b.RateLimitPolicies = append(b.RateLimitPolicies, policyv1alpha1.RateLimitPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "global", Namespace: "default"},
		Spec:       policyv1alpha1.RateLimitPolicySpec{Rules: []policyv1alpha1.RateLimitRule{{Name: "all", Global: &policyv1alpha1.GlobalLimit{Provider: "rls"}}}},
	})
	m := model.Build(b)
	w := m.Pods[typesNN("default", "reviews-v1")]
	r := Generate(m, Proxy{Type: names.Sidecar, Namespace: "default", Labels: w.Labels, IP: w.IP, Workload: w})
	want := names.RateLimitServiceCluster(4317, "otel.observability.svc.cluster.local")
	n := 0
	for _, cl := range r.Clusters {
		if cl.Name == want {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d clusters named %s, want 1", n, want)
	}
	if errs := CheckConsistency(r); len(errs) > 0 {
		t.Errorf("inconsistent: %v", errs)
	}
	if !hasFilter(r, names.GlobalRateLimitFilter("rls")) {
		t.Error("the ratelimit filter is missing")
	}
}

func hasFilter(r *Resources, name string) bool {
	for _, l := range r.Listeners {
		for _, fc := range chainsOf(l) {
			for _, f := range fc.GetFilters() {
				var h hcmv3.HttpConnectionManager
				if f.Name != names.HTTPConnectionManagerFilter || f.GetTypedConfig().UnmarshalTo(&h) != nil {
					continue
				}
				for _, hf := range h.HttpFilters {
					if hf.Name == name {
						return true
					}
				}
			}
		}
	}
	return false
}
