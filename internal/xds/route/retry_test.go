package route

import (
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	previousprioritiesv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/priority/previous_priorities/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func retryOf(t *testing.T, in *networkingv1.HTTPRetry) (*routev3.RetryPolicy, []FieldError) {
	t.Helper()
	routes, errs := Build(sidecarParams(networkingv1.HTTPRoute{Retries: in, Route: to("reviews")}))
	return onlyRoute(t, routes).GetRoute().GetRetryPolicy(), errs
}

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name string
		in   *networkingv1.HTTPRetry
		want func(*routev3.RetryPolicy) *routev3.RetryPolicy // edits the default policy
	}{
		{"omitted: Istio default", nil, func(p *routev3.RetryPolicy) *routev3.RetryPolicy { return p }},
		{"attempts 0 disables", &networkingv1.HTTPRetry{Attempts: 0, RetryOn: "5xx"}, func(*routev3.RetryPolicy) *routev3.RetryPolicy { return nil }},
		{"attempts only keeps default conditions", &networkingv1.HTTPRetry{Attempts: 4}, func(p *routev3.RetryPolicy) *routev3.RetryPolicy {
			p.NumRetries = wrapperspb.UInt32(4)
			return p
		}},
		{"retryOn with status codes", &networkingv1.HTTPRetry{Attempts: 3, RetryOn: "gateway-error, 503,connect-failure,429"}, func(p *routev3.RetryPolicy) *routev3.RetryPolicy {
			p.NumRetries = wrapperspb.UInt32(3)
			p.RetryOn = "gateway-error,connect-failure,retriable-status-codes"
			p.RetriableStatusCodes = []uint32{503, 429}
			return p
		}},
		{"retriable-status-codes not repeated", &networkingv1.HTTPRetry{Attempts: 1, RetryOn: "retriable-status-codes,503"}, func(p *routev3.RetryPolicy) *routev3.RetryPolicy {
			p.NumRetries = wrapperspb.UInt32(1)
			p.RetryOn = "retriable-status-codes"
			p.RetriableStatusCodes = []uint32{503}
			return p
		}},
		{"perTryTimeout and backoff", &networkingv1.HTTPRetry{Attempts: 2, PerTryTimeout: ptr(networkingv1.Duration("2s")), Backoff: ptr(networkingv1.Duration("25ms"))}, func(p *routev3.RetryPolicy) *routev3.RetryPolicy {
			p.PerTryTimeout = durationpb.New(2e9)
			p.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(25e6)}
			return p
		}},
		{"retryRemoteLocalities", &networkingv1.HTTPRetry{Attempts: 2, RetryRemoteLocalities: ptr(true)}, func(p *routev3.RetryPolicy) *routev3.RetryPolicy {
			p.RetryPriority = &routev3.RetryPolicy_RetryPriority{
				Name: "envoy.retry_priorities.previous_priorities",
				ConfigType: &routev3.RetryPolicy_RetryPriority_TypedConfig{TypedConfig: mustAny(t,
					&previousprioritiesv3.PreviousPrioritiesConfig{UpdateFrequency: 2})},
			}
			return p
		}},
		{"retryRemoteLocalities false", &networkingv1.HTTPRetry{Attempts: 2, RetryRemoteLocalities: ptr(false)}, func(p *routev3.RetryPolicy) *routev3.RetryPolicy { return p }},
		{"retryIgnorePreviousHosts false", &networkingv1.HTTPRetry{Attempts: 2, RetryIgnorePreviousHosts: ptr(false)}, func(p *routev3.RetryPolicy) *routev3.RetryPolicy {
			p.RetryHostPredicate = nil
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := retryOf(t, tt.in)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			assertProto(t, "retry policy", got, tt.want(wantDefaultRetry(t)))
		})
	}
}

func TestRetryOnUnknownEntriesReported(t *testing.T) {
	got, errs := retryOf(t, &networkingv1.HTTPRetry{Attempts: 2, RetryOn: "5xx,sometimes,700"})
	assertErrors(t, errs,
		FieldError{Object: testVS, Field: "http[0].retries.retryOn", Reason: `unknown retry condition "sometimes"`},
		FieldError{Object: testVS, Field: "http[0].retries.retryOn", Reason: "700 is not an HTTP status code"},
	)
	if got.GetRetryOn() != "5xx" || len(got.GetRetriableStatusCodes()) != 0 {
		t.Errorf("retry_on = %q codes %v, want 5xx and no codes", got.GetRetryOn(), got.GetRetriableStatusCodes())
	}
}
