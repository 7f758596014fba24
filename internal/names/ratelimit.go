package names

// Local rate limiting (RateLimitPolicy): Envoy's filter names, the stat
// prefixes its counters hang under, and the descriptor key that ties a
// rule's request match to its token bucket.
const (
	LocalRateLimitFilter        = "envoy.filters.http.local_ratelimit"
	LocalRateLimitNetworkFilter = "envoy.filters.network.local_ratelimit"
	// LocalRateLimitStatPrefix gives http_local_rate_limiter.rate_limited
	// and friends, as Envoy's own examples (and Istio users' EnvoyFilters)
	// name them.
	LocalRateLimitStatPrefix = "http_local_rate_limiter"
	// LocalRateLimitTCPStatPrefix roots local_ratelimit.<prefix>.rate_limited
	// for connections.
	LocalRateLimitTCPStatPrefix = "tcp_local_rate_limiter"
	// RateLimitRuleKey is the descriptor entry key whose value names the
	// rule a request matched.
	RateLimitRuleKey = "sailplane_rule"
)

// RateLimitShareKey is the share_key of a policy's network local_ratelimit
// filters: every TCP chain of one proxy takes its connections from one
// bucket (Envoy shares buckets between filters with the same key and
// token bucket).
func RateLimitShareKey(namespace, name, rule string) string {
	return "ratelimit/" + namespace + "/" + name + "/" + rule
}
