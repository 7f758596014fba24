package defaults

import "time"

// RateLimitPolicy defaults, where a policy says nothing.
const (
	// RateLimitStatus is the HTTP status of a refused request: 429 Too
	// Many Requests (Envoy's local_ratelimit default).
	RateLimitStatus = 429
	// RateLimitTokensPerFill is what a fill adds (Envoy's TokenBucket
	// default: one token).
	RateLimitTokensPerFill = 1
	// RateLimitMinFillInterval is the shortest fill interval Envoy accepts.
	RateLimitMinFillInterval = 50 * time.Millisecond
)

// Global rate limit provider defaults (ConfigMap istio, key sailplane).
const (
	// RateLimitServiceTimeout is how long Envoy waits for the rate limit
	// service (the ratelimit filter's own default).
	RateLimitServiceTimeout = 20 * time.Millisecond
)
