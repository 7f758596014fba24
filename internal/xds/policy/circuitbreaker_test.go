package policy

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func TestCircuitBreakers(t *testing.T) {
	tests := []struct {
		name     string
		p        *networkingv1.TrafficPolicy
		want     func(*clusterv3.CircuitBreakers_Thresholds)
		wantErrs []FieldError
	}{
		{name: "defaults", p: nil, want: func(*clusterv3.CircuitBreakers_Thresholds) {}},
		{
			name: "zero means unset",
			p: &networkingv1.TrafficPolicy{ConnectionPool: &networkingv1.ConnectionPoolSettings{
				TCP: &networkingv1.TCPSettings{}, HTTP: &networkingv1.HTTPSettings{},
			}},
			want: func(*clusterv3.CircuitBreakers_Thresholds) {},
		},
		{
			name: "tcp.maxConnections",
			p:    &networkingv1.TrafficPolicy{ConnectionPool: cp(100)},
			want: func(th *clusterv3.CircuitBreakers_Thresholds) { th.MaxConnections = wrapperspb.UInt32(100) },
		},
		{
			name: "http limits",
			p: &networkingv1.TrafficPolicy{ConnectionPool: &networkingv1.ConnectionPoolSettings{HTTP: &networkingv1.HTTPSettings{
				HTTP1MaxPendingRequests: 10, HTTP2MaxRequests: 20, MaxRetries: 5,
			}}},
			want: func(th *clusterv3.CircuitBreakers_Thresholds) {
				th.MaxPendingRequests = wrapperspb.UInt32(10)
				th.MaxRequests = wrapperspb.UInt32(20)
				th.MaxRetries = wrapperspb.UInt32(5)
			},
		},
		{
			name: "retry budget with Envoy's defaults",
			p:    &networkingv1.TrafficPolicy{RetryBudget: &networkingv1.RetryBudget{}},
			want: func(th *clusterv3.CircuitBreakers_Thresholds) {
				th.RetryBudget = &clusterv3.CircuitBreakers_Thresholds_RetryBudget{}
			},
		},
		{
			name: "retry budget",
			p:    &networkingv1.TrafficPolicy{RetryBudget: &networkingv1.RetryBudget{Percent: ptr(25.5), MinRetryConcurrency: 4}},
			want: func(th *clusterv3.CircuitBreakers_Thresholds) {
				th.RetryBudget = &clusterv3.CircuitBreakers_Thresholds_RetryBudget{
					BudgetPercent:       &typev3.Percent{Value: 25.5},
					MinRetryConcurrency: wrapperspb.UInt32(4),
				}
			},
		},
		{
			name: "retry budget percent out of range",
			p:    &networkingv1.TrafficPolicy{RetryBudget: &networkingv1.RetryBudget{Percent: ptr(150.0)}},
			want: func(th *clusterv3.CircuitBreakers_Thresholds) {
				th.RetryBudget = &clusterv3.CircuitBreakers_Thresholds_RetryBudget{}
			},
			wantErrs: []FieldError{fe("trafficPolicy.retryBudget.percent", "must be between 0 and 100, got 150")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := applyTo(t, tt.p, testOptions())
			wantErrors(t, errs, tt.wantErrs...)
			th := defaultThresholds()
			tt.want(th)
			protoEqual(t, "circuit_breakers", c.CircuitBreakers, &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{th}})
		})
	}
}
