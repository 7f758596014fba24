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

// RateLimitFilter is Envoy's global rate limit filter; a proxy gets one
// per rate limit provider its policy names (GlobalRateLimitFilter).
const RateLimitFilter = "envoy.filters.http.ratelimit"

// GlobalRateLimitFilter is the filter name for one provider's rules.
func GlobalRateLimitFilter(provider string) string {
	return RateLimitFilter + "." + provider
}

// RateLimitServiceCluster names the cluster a proxy reaches a rate limit
// service through. It is a side-service cluster of the same family as
// the telemetry collectors' (EDS from the service's endpoints, or DNS),
// so the endpoint-only refresh follows it without a name of its own.
func RateLimitServiceCluster(port uint32, host string) string {
	return TelemetryCluster(port, host)
}

// ForwardedClientCertHeader is the header (XFCC) Envoy's connection
// manager sets from the peer's client certificate; RateLimitPolicy's
// match.from reads the caller's identity from it.
const ForwardedClientCertHeader = "x-forwarded-client-cert"
