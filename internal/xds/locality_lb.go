package xds

import (
	"math"
	"sort"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// localityAssignment is loadAssignment as the proxy sees it under the
// plan, the way istiod shapes each proxy's load assignment:
//
//   - distribute: for the first rule whose `from` matches the proxy's
//     locality, each `to` share is split over the localities it matches in
//     proportion to their own weights (rounded up); localities no `to`
//     matches get no traffic (they are left out). No priorities.
//   - failover (with outlier detection): failoverPriority first splits
//     each locality by how many of the listed labels, in order, endpoint
//     and proxy agree on; then region/zone/subzone: same locality 0, same
//     zone 1, same region 2, another region 3, or with a failover rule for
//     the proxy's region: its `to` region 3 and the others 4. Priorities
//     are then renumbered 0..N without gaps, as Envoy and gRPC require.
//
// A nil plan leaves every locality at priority 0 with its own weight.
func localityAssignment(cluster string, eps []model.Endpoint, plan *policy.LocalityPlan, p Proxy) *endpointv3.ClusterLoadAssignment {
	groups := localityGroups(eps)
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: cluster}
	for _, g := range groups {
		cla.Endpoints = append(cla.Endpoints, g.lbEndpoints(g.eps))
	}
	switch {
	case plan == nil:
	case len(plan.Distribute) > 0:
		cla.Endpoints = distribute(cla.Endpoints, plan.Distribute, parseLocality(p.Locality))
	case plan.Failover:
		if len(plan.Priority) > 0 {
			cla.Endpoints = failoverPriority(groups, cla.Endpoints, plan.Priority, p)
			if len(plan.Regions) == 0 {
				break
			}
		}
		localityFailover(cla.Endpoints, plan.Regions, parseLocality(p.Locality))
	}
	return cla
}

// localityGroup is one locality's ready endpoints.
type localityGroup struct {
	key string
	eps []model.Endpoint
}

// localityGroups groups ready endpoints by locality, sorted by locality.
func localityGroups(eps []model.Endpoint) []localityGroup {
	idx := map[string]int{}
	var out []localityGroup
	for _, e := range eps {
		if !e.Ready {
			continue
		}
		i, ok := idx[e.Locality]
		if !ok {
			i = len(out)
			idx[e.Locality] = i
			out = append(out, localityGroup{key: e.Locality})
		}
		out[i].eps = append(out[i].eps, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

// lbEndpoints is the locality's entry for some of its endpoints: weight
// the sum of theirs (gRPC ignores localities without one).
func (g localityGroup) lbEndpoints(eps []model.Endpoint) *endpointv3.LocalityLbEndpoints {
	loc := &endpointv3.LocalityLbEndpoints{Locality: parseLocality(g.key)}
	total := uint32(0)
	for _, e := range eps {
		w := e.Weight
		if w == 0 {
			w = 1
		}
		loc.LbEndpoints = append(loc.LbEndpoints, lbEndpoint(e, w))
		total += w
	}
	loc.LoadBalancingWeight = wrapperspb.UInt32(total)
	return loc
}

// localityMatch is Istio's rule match: "*" or an absent part matches any.
func localityMatch(l *corev3.Locality, rule string) bool {
	region, zone, subzone := model.SplitLocality(rule)
	return (region == "*" || region == l.GetRegion()) &&
		(zone == "*" || zone == "" || zone == l.GetZone()) &&
		(subzone == "*" || subzone == "" || subzone == l.GetSubZone())
}

func distribute(locs []*endpointv3.LocalityLbEndpoints, rules []networkingv1.LocalityDistribute, proxy *corev3.Locality) []*endpointv3.LocalityLbEndpoints {
	for _, d := range rules {
		if !localityMatch(proxy, d.From) {
			continue
		}
		claimed := make([]bool, len(locs))
		for _, to := range bySpecificity(d.To) {
			var matched []int
			total := uint64(0)
			for i, l := range locs {
				if !claimed[i] && localityMatch(l.Locality, to) {
					claimed[i] = true
					matched = append(matched, i)
					total += uint64(l.LoadBalancingWeight.GetValue())
				}
			}
			for _, i := range matched {
				own := uint64(locs[i].LoadBalancingWeight.GetValue())
				if w := math.Ceil(float64(own*uint64(d.To[to])) / float64(total)); w > 0 {
					locs[i].LoadBalancingWeight = wrapperspb.UInt32(uint32(w))
				}
			}
		}
		var out []*endpointv3.LocalityLbEndpoints
		for i, l := range locs {
			if claimed[i] {
				out = append(out, l)
			}
		}
		return out
	}
	return locs
}

// bySpecificity orders `to` localities so that overlapping ones resolve
// the same way every time: more specific first ("us/a" before "us/*"
// before "*"), then by name. Istio walks a map here, so it has no order.
func bySpecificity(to map[string]int32) []string {
	keys := make([]string, 0, len(to))
	for k := range to {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		n := strings.Count(k, "/") + 1
		if strings.HasSuffix(k, "*") {
			n--
		}
		return n
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri > rj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// lbPriority is Istio's locality distance: 0 same subzone, 1 same zone,
// 2 same region, 3 elsewhere.
func lbPriority(proxy, ep *corev3.Locality) uint32 {
	switch {
	case proxy.GetRegion() != ep.GetRegion():
		return 3
	case proxy.GetZone() != ep.GetZone():
		return 2
	case proxy.GetSubZone() != ep.GetSubZone():
		return 1
	}
	return 0
}

func localityFailover(locs []*endpointv3.LocalityLbEndpoints, rules []networkingv1.LocalityFailover, proxy *corev3.Locality) {
	for _, l := range locs {
		prio := lbPriority(proxy, l.Locality)
		if prio == 3 {
			for _, f := range rules {
				if f.From == proxy.GetRegion() {
					if l.Locality.GetRegion() != f.To {
						prio = 4
					}
					break
				}
			}
		}
		// Five locality levels per failoverPriority level keep its order.
		l.Priority = l.Priority*5 + prio
	}
	compactPriorities(locs)
}

// failoverPriority splits each locality by label agreement: an endpoint
// whose first differing label is the j-th of n gets priority n-j, one
// agreeing on all gets 0. Labels include the topology labels of each
// side's locality; "key=value" compares the endpoint with value instead
// of the proxy's label. A proxy without labels gets no split (Istio).
func failoverPriority(groups []localityGroup, locs []*endpointv3.LocalityLbEndpoints, priority []string, p Proxy) []*endpointv3.LocalityLbEndpoints {
	if len(p.Labels) == 0 {
		return locs
	}
	proxyLabels := model.LocalityLabels(p.Labels, p.Locality)
	var out []*endpointv3.LocalityLbEndpoints
	for _, g := range groups {
		byPrio := map[uint32][]model.Endpoint{}
		for _, e := range g.eps {
			prio := labelPriority(model.LocalityLabels(e.Labels, e.Locality), proxyLabels, priority)
			byPrio[prio] = append(byPrio[prio], e)
		}
		prios := make([]uint32, 0, len(byPrio))
		for pr := range byPrio {
			prios = append(prios, pr)
		}
		sort.Slice(prios, func(i, j int) bool { return prios[i] < prios[j] })
		for _, pr := range prios {
			l := g.lbEndpoints(byPrio[pr])
			l.Priority = pr
			out = append(out, l)
		}
	}
	compactPriorities(out)
	return out
}

func labelPriority(ep, proxy map[string]string, priority []string) uint32 {
	for j, entry := range priority {
		key, want, override := strings.Cut(entry, "=")
		if !override {
			want = proxy[key]
		}
		if ep[key] != want {
			return uint32(len(priority) - j)
		}
	}
	return 0
}

// compactPriorities renumbers the priorities in use to 0..N in order.
func compactPriorities(locs []*endpointv3.LocalityLbEndpoints) {
	used := map[uint32]bool{}
	for _, l := range locs {
		used[l.Priority] = true
	}
	order := make([]uint32, 0, len(used))
	for p := range used {
		order = append(order, p)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	rank := map[uint32]uint32{}
	for i, p := range order {
		rank[p] = uint32(i)
	}
	for _, l := range locs {
		l.Priority = rank[l.Priority]
	}
}
