package route

import (
	"slices"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	previousprioritiesv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/priority/previous_priorities/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// knownRetryCondition says whether Envoy's router understands a retry_on
// value (HTTP and gRPC conditions); anything else is reported instead of
// being handed to Envoy.
func knownRetryCondition(s string) bool {
	switch s {
	case "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure",
		"envoy-ratelimited", "retriable-4xx", "refused-stream", "retriable-status-codes",
		"retriable-headers", "http3-post-connect-failure",
		"cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable":
		return true
	}
	return false
}

const retriableStatusCodes = "retriable-status-codes"

// defaultRetryPolicy is the policy Istio gives a route whose VirtualService
// says nothing about retries. With consistent hashing Istio leaves out the
// previous-hosts predicate: retrying on another host would defeat the hash.
func defaultRetryPolicy(consistentHash bool) *routev3.RetryPolicy {
	p := &routev3.RetryPolicy{
		RetryOn:                       defaults.RetryOn,
		NumRetries:                    wrapperspb.UInt32(defaults.RetryAttempts),
		HostSelectionRetryMaxAttempts: defaults.RetryHostSelectAttempts,
	}
	if !consistentHash {
		p.RetryHostPredicate = previousHostsPredicate()
	}
	return p
}

// Most routes of a mesh take the default policy unchanged (at the
// reference mesh about 26,000 routes, one per service and port per
// namespace half: 10 MB of identical protos). Built routes are never
// modified (proxyless adaptation replaces route fields, it does not edit
// the retry policy), so those routes share one policy each way.
var sharedRetryPolicies = [2]*routev3.RetryPolicy{defaultRetryPolicy(false), defaultRetryPolicy(true)}

func sharedRetryPolicy(consistentHash bool) *routev3.RetryPolicy {
	if consistentHash {
		return sharedRetryPolicies[1]
	}
	return sharedRetryPolicies[0]
}

func previousHostsPredicate() []*routev3.RetryPolicy_RetryHostPredicate {
	return []*routev3.RetryPolicy_RetryHostPredicate{{
		Name:       defaults.RetryHostPredicate,
		ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: constAny(&previoushostsv3.PreviousHostsPredicate{})},
	}}
}

// retryPolicy starts from Istio's default and overrides what the user set;
// attempts 0 disables retries. ok is false when a duration is invalid.
func (b *builder) retryPolicy(at loc, in *networkingv1.HTTPRetry, consistentHash bool) (*routev3.RetryPolicy, bool) {
	if in == nil {
		return sharedRetryPolicy(consistentHash), true
	}
	if in.Attempts <= 0 {
		return nil, true
	}
	p := defaultRetryPolicy(consistentHash)
	p.NumRetries = wrapperspb.UInt32(uint32(in.Attempts))
	if in.RetryOn != "" {
		// When nothing usable is left, Istio's default conditions stay.
		if on, codes := b.parseRetryOn(at.field("retryOn"), in.RetryOn); on != "" {
			p.RetryOn, p.RetriableStatusCodes = on, codes
		}
	}
	if in.PerTryTimeout != nil {
		d, ok := b.duration(at.field("perTryTimeout"), string(*in.PerTryTimeout))
		if !ok {
			return nil, false
		}
		p.PerTryTimeout = d
	}
	if in.Backoff != nil {
		d, ok := b.duration(at.field("backoff"), string(*in.Backoff))
		if !ok {
			return nil, false
		}
		p.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: d}
	}
	if in.RetryRemoteLocalities != nil && *in.RetryRemoteLocalities {
		p.RetryPriority = &routev3.RetryPolicy_RetryPriority{
			Name: defaults.RetryRemoteLocalitiesPriority,
			ConfigType: &routev3.RetryPolicy_RetryPriority_TypedConfig{TypedConfig: constAny(
				&previousprioritiesv3.PreviousPrioritiesConfig{UpdateFrequency: defaults.RetryRemoteLocalitiesUpdateFrequency})},
		}
	}
	// An explicit retryIgnorePreviousHosts wins over the hash default.
	if v := in.RetryIgnorePreviousHosts; v != nil {
		p.RetryHostPredicate = nil
		if *v {
			p.RetryHostPredicate = previousHostsPredicate()
		}
	}
	return p, true
}

// parseRetryOn splits Istio's retryOn: numbers are HTTP status codes to
// retry, which Envoy only honours with "retriable-status-codes" in retry_on,
// so that condition is added when codes are given.
func (b *builder) parseRetryOn(at loc, s string) (string, []uint32) {
	var conds []string
	var codes []uint32
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if code, err := strconv.ParseUint(part, 10, 32); err == nil {
			if code < 100 || code > 599 {
				b.errs.add(at, "%d is not an HTTP status code; ignored", code)
				continue
			}
			codes = append(codes, uint32(code))
			continue
		}
		if !knownRetryCondition(part) {
			b.errs.add(at, "unknown retry condition %q; ignored", part)
			continue
		}
		conds = append(conds, part)
	}
	if len(codes) > 0 && !slices.Contains(conds, retriableStatusCodes) {
		conds = append(conds, retriableStatusCodes)
	}
	return strings.Join(conds, ","), codes
}
