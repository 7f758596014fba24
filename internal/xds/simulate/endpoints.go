package simulate

import (
	"fmt"
	"math"
	"sort"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/sailplane/sailplane/internal/xds"
)

// overprovisioning is Envoy's default overprovisioning factor (1.4): a
// priority or locality counts as fully healthy while 1/1.4 (~72%) of its
// hosts are.
const overprovisioning = 1.4

// Traffic answers "which endpoints get this cluster's requests, in what
// share?" the way Envoy's load balancer spreads them, given the
// endpoints outlier detection has ejected:
//
//   - priorities: each level takes min(remaining, 1.4 × its healthy
//     fraction of hosts) of the load, in order; when the levels' health
//     adds up to less than 100% the load is spread in proportion to it
//     (Envoy's priority load normalisation). Panic mode is not modelled:
//     Istio sets healthy_panic_threshold 0 with outlier detection.
//   - within a level, with locality_weighted_lb_config: each locality
//     gets its load_balancing_weight × min(1, 1.4 × its healthy fraction),
//     then its healthy hosts by their own weights; without it, Envoy
//     ignores locality weights and spreads over all the level's healthy
//     hosts by their weights.
//
// The result maps endpoint addresses to shares summing to 1 (empty when
// no endpoint is healthy).
func Traffic(res *xds.Resources, cluster string, ejected map[string]bool) (map[string]float64, error) {
	var c *clusterv3.Cluster
	for _, cl := range res.Clusters {
		if cl.Name == cluster {
			c = cl
		}
	}
	if c == nil {
		return nil, fmt.Errorf("no cluster %q", cluster)
	}
	cla := c.LoadAssignment
	for _, e := range res.Endpoints {
		if e.ClusterName == cluster {
			cla = e
		}
	}
	if cla == nil {
		return nil, fmt.Errorf("cluster %q has no load assignment", cluster)
	}
	weighted := c.GetCommonLbConfig().GetLocalityWeightedLbConfig() != nil
	return spread(cla, weighted, ejected), nil
}

type level struct {
	localities []*endpointv3.LocalityLbEndpoints
	hosts      int
	healthy    int
}

func spread(cla *endpointv3.ClusterLoadAssignment, weighted bool, ejected map[string]bool) map[string]float64 {
	levels := map[uint32]*level{}
	for _, l := range cla.Endpoints {
		lv := levels[l.Priority]
		if lv == nil {
			lv = &level{}
			levels[l.Priority] = lv
		}
		lv.localities = append(lv.localities, l)
		for _, e := range l.LbEndpoints {
			lv.hosts++
			if !ejected[address(e)] {
				lv.healthy++
			}
		}
	}
	prios := make([]uint32, 0, len(levels))
	for p := range levels {
		prios = append(prios, p)
	}
	sort.Slice(prios, func(i, j int) bool { return prios[i] < prios[j] })
	health := make([]float64, len(prios))
	total := 0.0
	for i, p := range prios {
		if lv := levels[p]; lv.hosts > 0 {
			health[i] = math.Min(1, overprovisioning*float64(lv.healthy)/float64(lv.hosts))
		}
		total += health[i]
	}
	out := map[string]float64{}
	if total == 0 {
		return out
	}
	remaining := 1.0
	for i, p := range prios {
		load := math.Min(remaining, health[i])
		if total < 1 {
			load = health[i] / total
		}
		remaining -= load
		if load > 0 {
			levels[p].spread(load, weighted, ejected, out)
		}
	}
	return out
}

func (lv *level) spread(load float64, weighted bool, ejected map[string]bool, out map[string]float64) {
	if !weighted {
		hostWeights(lv.localities, load, ejected, out)
		return
	}
	shares := make([]float64, len(lv.localities))
	sum := 0.0
	for i, l := range lv.localities {
		n, healthy := 0, 0
		for _, e := range l.LbEndpoints {
			n++
			if !ejected[address(e)] {
				healthy++
			}
		}
		if n > 0 {
			shares[i] = float64(l.LoadBalancingWeight.GetValue()) * math.Min(1, overprovisioning*float64(healthy)/float64(n))
		}
		sum += shares[i]
	}
	for i, l := range lv.localities {
		if shares[i] > 0 {
			hostWeights([]*endpointv3.LocalityLbEndpoints{l}, load*shares[i]/sum, ejected, out)
		}
	}
}

// hostWeights spreads load over the localities' healthy hosts by weight.
func hostWeights(locs []*endpointv3.LocalityLbEndpoints, load float64, ejected map[string]bool, out map[string]float64) {
	sum := 0.0
	for _, l := range locs {
		for _, e := range l.LbEndpoints {
			if !ejected[address(e)] {
				sum += float64(hostWeight(e))
			}
		}
	}
	if sum == 0 {
		return
	}
	for _, l := range locs {
		for _, e := range l.LbEndpoints {
			if !ejected[address(e)] {
				out[address(e)] += load * float64(hostWeight(e)) / sum
			}
		}
	}
}

func hostWeight(e *endpointv3.LbEndpoint) uint32 {
	if w := e.GetLoadBalancingWeight().GetValue(); w > 0 {
		return w
	}
	return 1
}

func address(e *endpointv3.LbEndpoint) string {
	return e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress()
}
