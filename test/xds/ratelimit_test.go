package xds

import (
	"context"
	"strings"
	"testing"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	lrlv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/local_ratelimit/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// TestRateLimitPolicyStatusAndEffect: a RateLimitPolicy selecting
// productpage reaches its connected proxy as a local_ratelimit filter on
// the inbound port, and is Accepted; one whose only rule cannot be
// applied (a namespace no SPIFFE id can hold) is not, naming the rule
// and the reason.
func TestRateLimitPolicyStatusAndEffect(t *testing.T) {
	const ns = "ratelimit"
	createMesh(t, ns)
	r := startReplicaIn(t, true, ns)
	c := dialSotW(t, r.xds, productpageNode(ns))
	res, _ := c.subscribe(t)
	if got := inboundRateLimit(t, res.Listeners); got != nil {
		t.Fatalf("a local_ratelimit filter before any policy: %v", got)
	}
	good := &policyv1alpha1.RateLimitPolicy{ObjectMeta: metav1.ObjectMeta{Name: "productpage", Namespace: ns}}
	good.Spec.Selector = &securityv1.WorkloadSelector{MatchLabels: map[string]securityv1.LabelValue{"app": "productpage"}}
	good.Spec.Rules = []policyv1alpha1.RateLimitRule{{Name: "all", Local: &policyv1alpha1.LocalLimit{MaxTokens: 7, FillInterval: metav1.Duration{Duration: time.Second}}}}
	create(t, good)
	bad := &policyv1alpha1.RateLimitPolicy{ObjectMeta: metav1.ObjectMeta{Name: "reviews", Namespace: ns}}
	bad.Spec.Selector = &securityv1.WorkloadSelector{MatchLabels: map[string]securityv1.LabelValue{"app": "reviews"}}
	bad.Spec.Rules = []policyv1alpha1.RateLimitRule{{
		Name: "admins", Match: &policyv1alpha1.RateLimitMatch{From: &policyv1alpha1.SourceMatch{Namespaces: []string{"admin;x"}}},
		Local: &policyv1alpha1.LocalLimit{MaxTokens: 1, FillInterval: metav1.Duration{Duration: time.Second}},
	}}
	create(t, bad)

	for deadline := time.Now().Add(30 * time.Second); ; {
		if time.Now().After(deadline) {
			t.Fatalf("no inbound local_ratelimit with the policy's bucket within 30s (stream: %v)", c.Err())
		}
		lds := c.Poll(resource.ListenerType, time.Second)
		if lds == nil {
			continue
		}
		c.send(t, resource.ListenerType, nil, lds.VersionInfo, lds.Nonce, nil)
		if cfg := inboundRateLimit(t, decode[*listenerv3.Listener](t, lds.Resources)); cfg != nil && cfg.GetTokenBucket().GetMaxTokens() == 7 {
			break
		}
	}
	envtestutil.WaitFor(t, 30*time.Second, "Accepted on both RateLimitPolicies", func() bool {
		return rateLimitCondition(t, ns, "productpage") != nil && rateLimitCondition(t, ns, "reviews") != nil
	})
	if cond := rateLimitCondition(t, ns, "productpage"); cond.Status != metav1.ConditionTrue {
		t.Errorf("the productpage policy is not Accepted: %v", cond)
	}
	cond := rateLimitCondition(t, ns, "reviews")
	if cond.Status != metav1.ConditionFalse || !strings.Contains(cond.Message, "spec.rules[0]: match.from.namespaces[0]: \"admin;x\": holds a character no SPIFFE id has") {
		t.Errorf("the policy with an unusable rule: %v", cond)
	}
}

// inboundRateLimit is the local_ratelimit filter of virtualInbound's
// first HTTP connection manager; nil without one.
func inboundRateLimit(t *testing.T, ls []*listenerv3.Listener) *lrlv3.LocalRateLimit {
	t.Helper()
	for _, l := range ls {
		if l.Name != names.VirtualInbound {
			continue
		}
		for _, fc := range chainsOf(l) {
			for _, f := range fc.GetFilters() {
				if f.Name != names.HTTPConnectionManagerFilter {
					continue
				}
				var h hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
					t.Fatal(err)
				}
				for _, hf := range h.HttpFilters {
					if hf.Name == names.LocalRateLimitFilter {
						var cfg lrlv3.LocalRateLimit
						if err := hf.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
							t.Fatal(err)
						}
						return &cfg
					}
				}
			}
		}
	}
	return nil
}

func rateLimitCondition(t *testing.T, ns, name string) *metav1.Condition {
	t.Helper()
	p := &policyv1alpha1.RateLimitPolicy{}
	if err := k8s.Get(context.Background(), clientKey(ns, name), p); err != nil {
		t.Fatal(err)
	}
	c := meta.FindStatusCondition(p.Status.Conditions, "Accepted")
	if c != nil && c.ObservedGeneration != p.Generation {
		return nil
	}
	return c
}
