package policy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// grpcLB is why a setting does not reach proxyless gRPC clients.
const grpcLB = "proxyless gRPC clients balance with round robin or a ring hash only"

// applyGRPCLoadBalancer sets lb_policy for a proxyless gRPC client. Every
// gRPC implementation accepts ROUND_ROBIN and RING_HASH in lb_policy and
// nothing else: C-core and grpc-js NACK the whole CDS response for any
// other value (Envoy's LEAST_REQUEST default included). As istiod's
// proxyless generator does, the default is ROUND_ROBIN and consistentHash
// becomes a ring; every other algorithm, warm-up and Maglev fall back to
// those two and are reported. gRPC reads nothing of lb_config but the
// ring's size.
func applyGRPCLoadBalancer(c *clusterv3.Cluster, lb *networkingv1.LoadBalancerSettings, r *reporter) {
	c.LbConfig = nil
	c.LbPolicy = clusterv3.Cluster_ROUND_ROBIN
	if c.GetType() == clusterv3.Cluster_ORIGINAL_DST {
		// A passthrough service; gRPC gets no such cluster at all.
		c.LbPolicy = clusterv3.Cluster_CLUSTER_PROVIDED
		return
	}
	if lb == nil {
		return
	}
	if lb.Warmup != nil || lb.WarmupDurationSecs != nil {
		field := "warmup"
		if lb.Warmup == nil {
			field = "warmupDurationSecs"
		}
		r.add(secLoadBalancer, field, "does not apply: %s, without slow start", grpcLB)
	}
	if ch := lb.ConsistentHash; ch != nil {
		grpcConsistentHash(c, ch, r)
		return
	}
	switch lb.Simple {
	case "", lbUnspecified, lbRoundRobin:
	default:
		r.add(secLoadBalancer, "simple", "%s does not apply: %s; using ROUND_ROBIN", lb.Simple, grpcLB)
	}
}

// grpcConsistentHash builds the ring (Maglev becomes a ring too) and
// reports hash keys gRPC cannot read: it hashes on request headers only,
// and with no usable key it picks a random point of the ring per call.
func grpcConsistentHash(c *clusterv3.Cluster, ch *networkingv1.ConsistentHashLB, r *reporter) {
	ring := *ch
	if ch.Maglev != nil {
		r.add(secLoadBalancer, "consistentHash.maglev", "does not apply: %s; using a ring hash", grpcLB)
		ring.Maglev = nil
	}
	applyConsistentHash(c, &ring, r)
	switch {
	case ch.HTTPCookie != nil:
		r.add(secLoadBalancer, "consistentHash.httpCookie", "does not apply: proxyless gRPC clients hash on headers only (httpHeaderName); calls spread at random")
	case ch.UseSourceIP:
		r.add(secLoadBalancer, "consistentHash.useSourceIp", "does not apply: proxyless gRPC clients hash on headers only (httpHeaderName); calls spread at random")
	case ch.HTTPQueryParameterName != "":
		r.add(secLoadBalancer, "consistentHash.httpQueryParameterName", "does not apply: proxyless gRPC clients hash on headers only (httpHeaderName); calls spread at random")
	}
}
