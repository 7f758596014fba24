package policy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// Envoy's bounds on the hash tables.
const (
	maxRingSize        = 8388608 // ring_hash_lb_config.minimum_ring_size
	maxMaglevTableSize = 5000011 // maglev_lb_config.table_size, and it must be prime
)

// applyConsistentHash picks Maglev when asked, else a ring hash. The hash
// key itself lives on the routes (see HashPolicy); here it is only checked,
// because HashPolicy cannot report errors.
func applyConsistentHash(c *clusterv3.Cluster, ch *networkingv1.ConsistentHashLB, r *reporter) {
	checkHashKey(ch, r)
	if ch.Maglev != nil {
		c.LbPolicy = clusterv3.Cluster_MAGLEV
		n := ch.Maglev.TableSize
		switch {
		case n == 0:
			// Envoy's default table, 65537 entries.
		case n < 0 || n > maxMaglevTableSize || !isPrime(n):
			r.add(secLoadBalancer, "consistentHash.maglev.tableSize", "must be a prime number no larger than %d, got %d", maxMaglevTableSize, n)
		default:
			c.LbConfig = &clusterv3.Cluster_MaglevLbConfig_{
				MaglevLbConfig: &clusterv3.Cluster_MaglevLbConfig{TableSize: wrapperspb.UInt64(uint64(n))},
			}
		}
		return
	}
	c.LbPolicy = clusterv3.Cluster_RING_HASH
	size, field := ch.MinimumRingSize, "consistentHash.minimumRingSize"
	if ch.RingHash != nil {
		size, field = ch.RingHash.MinimumRingSize, "consistentHash.ringHash.minimumRingSize"
	}
	if size < 0 || size > maxRingSize {
		r.add(secLoadBalancer, field, "must be between 0 and %d, got %d", maxRingSize, size)
		size = 0
	}
	if size == 0 {
		// Zero cannot be told from unset; Istio writes Envoy's default.
		size = defaults.RingHashMinimumRingSize
	}
	c.LbConfig = &clusterv3.Cluster_RingHashLbConfig_{
		RingHashLbConfig: &clusterv3.Cluster_RingHashLbConfig{MinimumRingSize: wrapperspb.UInt64(uint64(size))},
	}
}

// checkHashKey reports what makes HashPolicy return nothing, since
// HashPolicy cannot report: no key (every request would hash differently
// and affinity is silently lost) or a key Envoy would refuse.
func checkHashKey(ch *networkingv1.ConsistentHashLB, r *reporter) {
	hp := hashPolicy(ch)
	if hp == nil {
		r.add(secLoadBalancer, "consistentHash", "one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName is required")
		return
	}
	if ck := ch.HTTPCookie; ck != nil && ck.TTL != nil {
		if _, err := parseDuration(string(*ck.TTL), 0); err != nil {
			r.add(secLoadBalancer, "consistentHash.httpCookie.ttl", "%v", err)
		}
	}
	if err := hp.ValidateAll(); err != nil {
		r.add(secLoadBalancer, "consistentHash", "invalid hash key: %v", err)
	}
}

func isPrime(n int64) bool {
	if n < 2 {
		return false
	}
	for d := int64(2); d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}
