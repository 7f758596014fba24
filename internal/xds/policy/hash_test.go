package policy

import (
	"testing"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func hashing(ch *networkingv1.ConsistentHashLB) *networkingv1.TrafficPolicy {
	return &networkingv1.TrafficPolicy{LoadBalancer: &networkingv1.LoadBalancerSettings{ConsistentHash: ch}}
}

func TestHashPolicy(t *testing.T) {
	tests := []struct {
		name string
		p    *networkingv1.TrafficPolicy
		want *routev3.RouteAction_HashPolicy // nil: no hash policy
	}{
		{name: "no policy"},
		{name: "simple load balancer", p: withLB(lb("ROUND_ROBIN"))},
		{
			name: "header",
			p:    hashing(&networkingv1.ConsistentHashLB{HTTPHeaderName: "x-user"}),
			want: &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Header_{
				Header: &routev3.RouteAction_HashPolicy_Header{HeaderName: "x-user"},
			}},
		},
		{
			name: "cookie with path, ttl and attributes",
			p: hashing(&networkingv1.ConsistentHashLB{HTTPCookie: &networkingv1.HTTPCookie{
				Name: "session", Path: "/app", TTL: ptr(networkingv1.Timeout("1h")),
				Attributes: []networkingv1.CookieAttribute{{Name: "SameSite", Value: "Strict"}, {Name: "Secure"}},
			}}),
			want: &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Cookie_{
				Cookie: &routev3.RouteAction_HashPolicy_Cookie{
					Name: "session", Path: "/app", Ttl: durationpb.New(time.Hour),
					Attributes: []*routev3.RouteAction_HashPolicy_CookieAttribute{{Name: "SameSite", Value: "Strict"}, {Name: "Secure"}},
				},
			}},
		},
		{
			name: "cookie with 0s ttl is a session cookie",
			p:    hashing(&networkingv1.ConsistentHashLB{HTTPCookie: &networkingv1.HTTPCookie{Name: "s", TTL: ptr(networkingv1.Timeout("0s"))}}),
			want: &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Cookie_{
				Cookie: &routev3.RouteAction_HashPolicy_Cookie{Name: "s", Ttl: durationpb.New(0)},
			}},
		},
		{
			name: "cookie without ttl",
			p:    hashing(&networkingv1.ConsistentHashLB{HTTPCookie: &networkingv1.HTTPCookie{Name: "s"}}),
			want: &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_Cookie_{
				Cookie: &routev3.RouteAction_HashPolicy_Cookie{Name: "s"},
			}},
		},
		{
			name: "source IP",
			p:    hashing(&networkingv1.ConsistentHashLB{UseSourceIP: true}),
			want: &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_ConnectionProperties_{
				ConnectionProperties: &routev3.RouteAction_HashPolicy_ConnectionProperties{SourceIp: true},
			}},
		},
		{
			name: "query parameter",
			p:    hashing(&networkingv1.ConsistentHashLB{HTTPQueryParameterName: "user"}),
			want: &routev3.RouteAction_HashPolicy{PolicySpecifier: &routev3.RouteAction_HashPolicy_QueryParameter_{
				QueryParameter: &routev3.RouteAction_HashPolicy_QueryParameter{Name: "user"},
			}},
		},
		{name: "no key", p: hashing(&networkingv1.ConsistentHashLB{})},
		{name: "header name Envoy refuses", p: hashing(&networkingv1.ConsistentHashLB{HTTPHeaderName: "bad\nheader"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HashPolicy(tt.p)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("got %v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d hash policies, want 1", len(got))
			}
			protoEqual(t, "hash policy", got[0], tt.want)
			if err := got[0].ValidateAll(); err != nil {
				t.Errorf("invalid for Envoy: %v", err)
			}
		})
	}
}

// Apply reports the key HashPolicy had to leave out.
func TestApplyReportsInvalidHashKey(t *testing.T) {
	_, errs := applyTo(t, hashing(&networkingv1.ConsistentHashLB{HTTPHeaderName: "bad\nheader"}), testOptions())
	if len(errs) != 1 || errs[0].Field != "trafficPolicy.loadBalancer.consistentHash" {
		t.Fatalf("got %v", errs)
	}
}
