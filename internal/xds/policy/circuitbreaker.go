package policy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// applyCircuitBreakers sets Istio's single DEFAULT-priority threshold. Istio
// lifts every limit to the maximum rather than keeping Envoy's defaults
// (1024 connections, 3 retries): during rolling updates Envoy's small
// limits trip before new endpoints arrive and clients see 503s. The
// connection pool lowers the limits it sets; zero means "not set", as in
// Istio, since the CRD cannot tell zero from absent.
func applyCircuitBreakers(c *clusterv3.Cluster, cp *networkingv1.ConnectionPoolSettings, rb *networkingv1.RetryBudget, r *reporter) {
	t := &clusterv3.CircuitBreakers_Thresholds{
		Priority:           corev3.RoutingPriority_DEFAULT,
		MaxConnections:     wrapperspb.UInt32(defaults.MaxCircuitBreaker),
		MaxPendingRequests: wrapperspb.UInt32(defaults.MaxCircuitBreaker),
		MaxRequests:        wrapperspb.UInt32(defaults.MaxCircuitBreaker),
		MaxRetries:         wrapperspb.UInt32(defaults.MaxCircuitBreaker),
		TrackRemaining:     true,
	}
	if cp != nil && cp.TCP != nil && cp.TCP.MaxConnections > 0 {
		t.MaxConnections = wrapperspb.UInt32(uint32(cp.TCP.MaxConnections))
	}
	if cp != nil && cp.HTTP != nil {
		h := cp.HTTP
		if h.HTTP1MaxPendingRequests > 0 {
			t.MaxPendingRequests = wrapperspb.UInt32(uint32(h.HTTP1MaxPendingRequests))
		}
		// Envoy applies max_requests to HTTP/2 pools only, hence the name.
		if h.HTTP2MaxRequests > 0 {
			t.MaxRequests = wrapperspb.UInt32(uint32(h.HTTP2MaxRequests))
		}
		if h.MaxRetries > 0 {
			t.MaxRetries = wrapperspb.UInt32(uint32(h.MaxRetries))
		}
	}
	t.RetryBudget = retryBudget(rb, r)
	c.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{t}}
}

// retryBudget bounds concurrent retries as a share of active requests;
// when set, Envoy ignores max_retries. Unset fields keep Envoy's defaults
// (20%, 3 retries), which are the defaults Istio documents.
func retryBudget(rb *networkingv1.RetryBudget, r *reporter) *clusterv3.CircuitBreakers_Thresholds_RetryBudget {
	if rb == nil {
		return nil
	}
	out := &clusterv3.CircuitBreakers_Thresholds_RetryBudget{}
	if rb.Percent != nil {
		if v := *rb.Percent; v >= 0 && v <= 100 {
			out.BudgetPercent = &typev3.Percent{Value: v}
		} else {
			r.add(secRetryBudget, "percent", "must be between 0 and 100, got %v", v)
		}
	}
	if rb.MinRetryConcurrency > 0 {
		out.MinRetryConcurrency = wrapperspb.UInt32(uint32(rb.MinRetryConcurrency))
	}
	return out
}
