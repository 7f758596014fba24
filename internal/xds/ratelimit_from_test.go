package xds

import (
	"strings"
	"testing"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	"github.com/sailplane/sailplane/internal/model"
)

func fromListener(h *hcmv3.HttpConnectionManager) *listenerv3.Listener {
	r := &model.RateLimit{Status: 429, Rules: []model.RateLimitRule{{
		Name: "batch", Match: &policyv1alpha1.RateLimitMatch{From: &policyv1alpha1.SourceMatch{Principals: []string{"cluster.local/ns/jobs/sa/batch"}}},
		MaxTokens: 3, TokensPerFill: 1, FillInterval: time.Second,
	}}}
	f := withLocalRateLimit(hcmFilter(h), localRateLimitHTTP(r))
	return &listenerv3.Listener{Name: "test", FilterChains: []*listenerv3.FilterChain{{Name: "c", Filters: []*listenerv3.Filter{f}}}}
}

// A from rule on a connection manager that drops XFCC (SANITIZE, Envoy's
// default) or writes fields before or after the URI is reported; the
// inbound settings are clean.
func TestRateLimitChecksFindDefeatedFromRules(t *testing.T) {
	good := inboundHCMForTest()
	good.ForwardClientCertDetails = hcmv3.HttpConnectionManager_APPEND_FORWARD
	good.SetCurrentClientCertDetails = peerCertDetails()
	if errs := rateLimitChecks(fromListener(good)); len(errs) > 0 {
		t.Fatalf("the inbound XFCC settings reported: %v", errs)
	}
	sanitize := inboundHCMForTest()
	sanitize.SetCurrentClientCertDetails = peerCertDetails()
	if errs := rateLimitChecks(fromListener(sanitize)); !strings.Contains(joinErrs(errs), "forward_client_cert_details is SANITIZE") {
		t.Errorf("a sanitizing manager not reported: %v", errs)
	}
	subject := inboundHCMForTest()
	subject.ForwardClientCertDetails = hcmv3.HttpConnectionManager_SANITIZE_SET
	subject.SetCurrentClientCertDetails = &hcmv3.HttpConnectionManager_SetCurrentClientCertDetails{Uri: true, Subject: wrapperspb.Bool(true)}
	if errs := rateLimitChecks(fromListener(subject)); !strings.Contains(joinErrs(errs), "want uri alone") {
		t.Errorf("a Subject before the URI not reported: %v", errs)
	}
	// Without from rules the settings are nobody's business here.
	if errs := rateLimitChecks(rateLimitListenerOnly()); len(errs) > 0 {
		t.Errorf("a manager without from rules reported: %v", errs)
	}
}

func rateLimitListenerOnly() *listenerv3.Listener {
	l, _ := rateLimitListener()
	return l
}

// Overlapping values become alternatives that exclude the earlier ones;
// distinct exact values need no exclusion.
func TestFromAlternativesExclusive(t *testing.T) {
	alts := fromAlternatives(&policyv1alpha1.SourceMatch{Principals: []string{"a/ns/x/sa/y", "a/ns/x/sa/z", "a/ns/x/*", "a/ns/x/sa/y"}, Namespaces: []string{"x"}})
	if len(alts) != 3 {
		t.Fatalf("want 3 alternatives (duplicate dropped), got %d", len(alts))
	}
	wantLen := []int{2, 2, 4} // principal, negations of earlier overlapping ones, namespace
	for i, alt := range alts {
		if len(alt) != wantLen[i] {
			t.Errorf("alternative %d has %d matchers, want %d: %v", i, len(alt), wantLen[i], alt)
		}
		inverted := 0
		for _, h := range alt {
			if h.InvertMatch {
				inverted++
			}
		}
		if want := wantLen[i] - 2; inverted != want {
			t.Errorf("alternative %d negates %d values, want %d", i, inverted, want)
		}
	}
}
