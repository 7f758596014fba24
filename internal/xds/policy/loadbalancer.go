package policy

import (
	"math"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// loadBalancer.simple values.
const (
	lbUnspecified  = "UNSPECIFIED"
	lbLeastConn    = "LEAST_CONN" // deprecated alias of LEAST_REQUEST
	lbLeastRequest = "LEAST_REQUEST"
	lbRandom       = "RANDOM"
	lbPassthrough  = "PASSTHROUGH"
	lbRoundRobin   = "ROUND_ROBIN"
)

// slowStartAggressionKey is the runtime key of the warm-up aggression.
// Envoy wants one; Istio does not expose it, so it is a fixed name nobody
// sets and the rule's value always applies.
const slowStartAggressionKey = "sailplane.slow_start.aggression"

// applyLoadBalancer sets lb_policy and lb_config. A cluster that already
// is ORIGINAL_DST (a passthrough service) keeps CLUSTER_PROVIDED whatever
// the rule says, since Envoy allows nothing else there.
func applyLoadBalancer(c *clusterv3.Cluster, lb *networkingv1.LoadBalancerSettings, r *reporter) {
	c.LbConfig = nil
	switch {
	case c.GetType() == clusterv3.Cluster_ORIGINAL_DST:
		c.LbPolicy = clusterv3.Cluster_CLUSTER_PROVIDED
	case lb != nil && lb.ConsistentHash != nil:
		applyConsistentHash(c, lb.ConsistentHash, r)
	default:
		applySimple(c, lb, r)
	}
}

func applySimple(c *clusterv3.Cluster, lb *networkingv1.LoadBalancerSettings, r *reporter) {
	simple := ""
	if lb != nil {
		simple = lb.Simple
	}
	switch simple {
	case lbRoundRobin:
		c.LbPolicy = clusterv3.Cluster_ROUND_ROBIN
		if ss := slowStart(lb, r); ss != nil {
			c.LbConfig = &clusterv3.Cluster_RoundRobinLbConfig_{
				RoundRobinLbConfig: &clusterv3.Cluster_RoundRobinLbConfig{SlowStartConfig: ss},
			}
		}
	case lbRandom:
		c.LbPolicy = clusterv3.Cluster_RANDOM
	case lbPassthrough:
		// Send each connection where the client meant it to go.
		c.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST}
		c.LbPolicy = clusterv3.Cluster_CLUSTER_PROVIDED
		c.EdsClusterConfig = nil
		c.LoadAssignment = nil
	default:
		if simple != "" && simple != lbUnspecified && simple != lbLeastConn && simple != lbLeastRequest {
			r.add(secLoadBalancer, "simple", "unknown value %q; using LEAST_REQUEST", simple)
		}
		// Istio's default since 1.14: better tail latency than round robin.
		c.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
		if ss := slowStart(lb, r); ss != nil {
			c.LbConfig = &clusterv3.Cluster_LeastRequestLbConfig_{
				LeastRequestLbConfig: &clusterv3.Cluster_LeastRequestLbConfig{SlowStartConfig: ss},
			}
		}
	}
}

// slowStart ramps traffic to new endpoints up over the warm-up window.
// Envoy supports it for round robin and least request only, so Istio (and
// this) ignore warm-up with the other algorithms.
func slowStart(lb *networkingv1.LoadBalancerSettings, r *reporter) *clusterv3.Cluster_SlowStartConfig {
	if lb == nil {
		return nil
	}
	if w := lb.Warmup; w != nil {
		window := r.duration(secLoadBalancer, "warmup.duration", &w.Duration)
		if window == nil {
			return nil
		}
		out := &clusterv3.Cluster_SlowStartConfig{
			SlowStartWindow:  window,
			Aggression:       &corev3.RuntimeDouble{DefaultValue: defaults.WarmupAggression, RuntimeKey: slowStartAggressionKey},
			MinWeightPercent: &typev3.Percent{Value: defaults.WarmupMinimumPercent},
		}
		if a := w.Aggression; a != nil {
			if *a > 0 && !math.IsInf(*a, 0) {
				out.Aggression.DefaultValue = *a
			} else {
				r.add(secLoadBalancer, "warmup.aggression", "must be a positive number, got %v", *a)
			}
		}
		if m := w.MinimumPercent; m != nil {
			if *m >= 0 && *m <= 100 {
				out.MinWeightPercent.Value = *m
			} else {
				r.add(secLoadBalancer, "warmup.minimumPercent", "must be between 0 and 100, got %v", *m)
			}
		}
		return out
	}
	if window := r.duration(secLoadBalancer, "warmupDurationSecs", lb.WarmupDurationSecs); window != nil {
		return &clusterv3.Cluster_SlowStartConfig{SlowStartWindow: window}
	}
	return nil
}
