package policy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// ApplyInbound sets on an inbound cluster (the proxy's own app on
// localhost) what a connection pool decides there, as Istio does:
// connect_timeout, circuit_breakers (Istio's limits lifted to the maximum
// when the pool sets none: Envoy's own 1024 would turn a busy server's
// sidecar into the bottleneck), upstream keepalive and the upstream HTTP
// protocol options (HTTP/2 for http2 and grpc ports, the caller's
// protocol for detected ones, the pool's per-connection limits). Load
// balancing, outlier detection and TLS are client-side settings and
// h2UpgradePolicy an outbound one: Istio applies none of them inbound. cp
// may be nil: Istio's defaults only.
//
// o.Kind and o.PoolField say where cp came from when it is not a
// DestinationRule's (a Sidecar's inboundConnectionPool).
func ApplyInbound(c *clusterv3.Cluster, cp *networkingv1.ConnectionPoolSettings, o Options) []FieldError {
	r := &reporter{o: o}
	applyConnectTimeout(c, cp, r)
	applyCircuitBreakers(c, cp, nil, r)
	applyTCPKeepalive(c, cp, r)
	if cp != nil && cp.HTTP != nil && cp.HTTP.H2UpgradePolicy != "" {
		inbound := *cp
		h := *cp.HTTP
		h.H2UpgradePolicy = ""
		inbound.HTTP = &h
		cp = &inbound
	}
	applyProtocolOptions(c, cp, o.HTTP2, o.UseDownstream, r)
	return r.errs
}
