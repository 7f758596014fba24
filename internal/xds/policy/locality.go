package policy

import (
	"fmt"
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// LocalityPlan is what a policy's locality settings do to one cluster's
// endpoints, as Istio applies them when it builds a proxy's load
// assignment (ApplyLocalityLoadBalancer): the settings that are valid,
// and whether failover applies at all. Locality load balancing is on by
// default (Istio's mesh-wide default); `enabled: false` turns it off.
type LocalityPlan struct {
	// Distribute, when set, weighs localities for proxies in a `from`
	// locality and nothing else applies (no priorities).
	Distribute []networkingv1.LocalityDistribute
	// Failover says priorities apply: only with outlier detection, since
	// Envoy never leaves a priority whose endpoints are not ejected.
	Failover bool
	// Regions are the valid failover from→to region rules.
	Regions []networkingv1.LocalityFailover
	// Priority is failoverPriority: label keys, or key=value overrides.
	Priority []string
}

// Weighted says the cluster needs locality_weighted_lb_config: Envoy
// reads locality weights only then (Istio sets it in the same cases).
func (p *LocalityPlan) Weighted() bool {
	return p != nil && (len(p.Distribute) > 0 || (p.Failover && (len(p.Regions) > 0 || len(p.Priority) > 0)))
}

// LocalityPlanFor is the plan of an effective policy (see Effective); nil
// when locality plays no part (disabled, or neither distribute nor
// outlier detection). Its problems are reported by Apply.
func LocalityPlanFor(p *networkingv1.TrafficPolicy) *LocalityPlan {
	if p == nil {
		return nil
	}
	return localityPlan(p.LoadBalancer, p.OutlierDetection, &reporter{})
}

// applyLocality sets locality_weighted_lb_config when the plan weighs
// localities and reports the settings it skips. Proxyless gRPC clients
// always weigh localities (gRFC A27's weighted_target) and read priorities
// from EDS alone, so their clusters do not carry the field.
func applyLocality(c *clusterv3.Cluster, p *networkingv1.TrafficPolicy, grpc bool, r *reporter) {
	if c.CommonLbConfig != nil {
		c.CommonLbConfig.LocalityConfigSpecifier = nil
	}
	plan := localityPlan(p.LoadBalancer, p.OutlierDetection, r)
	switch c.GetType() {
	case clusterv3.Cluster_ORIGINAL_DST, clusterv3.Cluster_LOGICAL_DNS:
		return // no localities to weigh: one address, or the caller's
	}
	if grpc || !plan.Weighted() {
		return
	}
	if c.CommonLbConfig == nil {
		c.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{}
	}
	c.CommonLbConfig.LocalityConfigSpecifier = &clusterv3.Cluster_CommonLbConfig_LocalityWeightedLbConfig_{
		LocalityWeightedLbConfig: &clusterv3.Cluster_CommonLbConfig_LocalityWeightedLbConfig{},
	}
}

// localityPlan validates the settings as Istio's webhook would (Istio
// refuses the whole rule; sailplane skips the bad part and says so).
func localityPlan(lb *networkingv1.LoadBalancerSettings, od *networkingv1.OutlierDetection, r *reporter) *LocalityPlan {
	var l *networkingv1.LocalityLoadBalancerSetting
	if lb != nil {
		l = lb.LocalityLbSetting
	}
	if l == nil {
		if od == nil {
			return nil
		}
		return &LocalityPlan{Failover: true}
	}
	if l.Enabled != nil && !*l.Enabled {
		return nil // disabled: Istio ignores the rest
	}
	const at = "localityLbSetting."
	plan := &LocalityPlan{Distribute: validDistribute(l.Distribute, r)}
	if len(l.Distribute) > 0 && len(l.Failover) > 0 {
		r.add(secLoadBalancer, at+"failover", "cannot be set together with distribute; distribute applies")
		return finishPlan(plan, od)
	}
	if len(l.Distribute) > 0 && len(l.FailoverPriority) > 0 {
		r.add(secLoadBalancer, at+"failoverPriority", "does not apply together with distribute (as in Istio, distribute alone decides)")
	}
	if (len(l.Failover) > 0 || len(l.FailoverPriority) > 0) && od == nil {
		field := at + "failover"
		if len(l.Failover) == 0 {
			field = at + "failoverPriority"
		}
		r.add(secLoadBalancer, field, "has no effect without outlierDetection: Envoy fails over only from ejected endpoints")
	}
	plan.Regions = validFailover(l.Failover, r)
	plan.Priority = l.FailoverPriority
	if len(plan.Regions) > 0 {
		for i, p := range l.FailoverPriority {
			key, _, _ := strings.Cut(p, "=")
			switch key {
			case labelRegion, labelZone, labelSubzone:
				r.add(secLoadBalancer, fmt.Sprintf("%sfailoverPriority[%d]", at, i),
					"topology label %q cannot be combined with failover; failover is ignored", key)
				plan.Regions = nil
			}
		}
	}
	for i, p := range l.FailoverPriority {
		if key, _, _ := strings.Cut(p, "="); key == "" {
			r.add(secLoadBalancer, fmt.Sprintf("%sfailoverPriority[%d]", at, i), "names no label")
		}
	}
	return finishPlan(plan, od)
}

// Topology label keys (model's, repeated to keep this package free of it).
const (
	labelRegion  = "topology.kubernetes.io/region"
	labelZone    = "topology.kubernetes.io/zone"
	labelSubzone = "topology.istio.io/subzone"
)

func finishPlan(plan *LocalityPlan, od *networkingv1.OutlierDetection) *LocalityPlan {
	plan.Failover = od != nil
	if len(plan.Distribute) == 0 && !plan.Failover {
		return nil
	}
	return plan
}

// validDistribute keeps the entries whose localities are well formed and
// whose weights are 1..100 summing to 100.
func validDistribute(ds []networkingv1.LocalityDistribute, r *reporter) []networkingv1.LocalityDistribute {
	var out []networkingv1.LocalityDistribute
	for i, d := range ds {
		field := fmt.Sprintf("localityLbSetting.distribute[%d]", i)
		ok := true
		if err := checkLocality(d.From); err != nil {
			r.add(secLoadBalancer, field+".from", "%v", err)
			ok = false
		}
		if len(d.To) == 0 {
			r.add(secLoadBalancer, field+".to", "must name at least one locality")
			ok = false
		}
		total := int64(0)
		for _, to := range sortedKeys(d.To) {
			w := d.To[to]
			if err := checkLocality(to); err != nil {
				r.add(secLoadBalancer, fmt.Sprintf("%s.to[%s]", field, to), "%v", err)
				ok = false
			}
			if w < 1 || w > 100 {
				r.add(secLoadBalancer, fmt.Sprintf("%s.to[%s]", field, to), "weight must be between 1 and 100, got %d", w)
				ok = false
			}
			total += int64(w)
		}
		if len(d.To) > 0 && total != 100 {
			r.add(secLoadBalancer, field+".to", "weights must sum to 100, got %d; entry ignored", total)
			ok = false
		}
		if ok {
			out = append(out, d)
		}
	}
	return out
}

// validFailover keeps the region→region rules Istio accepts.
func validFailover(fs []networkingv1.LocalityFailover, r *reporter) []networkingv1.LocalityFailover {
	var out []networkingv1.LocalityFailover
	for i, f := range fs {
		field := fmt.Sprintf("localityLbSetting.failover[%d]", i)
		var why string
		switch {
		case f.From == "" || f.To == "":
			why = "from and to must both name a region"
		case strings.Contains(f.From, "/") || strings.Contains(f.To, "/"):
			why = "from and to must be regions, not zones (no \"/\")"
		case strings.Contains(f.From, "*") || strings.Contains(f.To, "*"):
			why = "from and to must be regions, without the \"*\" wildcard"
		case f.From == f.To:
			why = fmt.Sprintf("from and to are the same region %q", f.From)
		}
		if why != "" {
			r.add(secLoadBalancer, field, "%s; rule ignored", why)
			continue
		}
		out = append(out, f)
	}
	return out
}

// checkLocality accepts "region", "region/zone", "region/zone/subzone",
// with "*" only as the whole last part.
func checkLocality(l string) error {
	if l == "" {
		return fmt.Errorf("must name a locality (region[/zone[/subzone]] or *)")
	}
	parts := strings.Split(l, "/")
	if len(parts) > 3 {
		return fmt.Errorf("locality %q has more than region/zone/subzone", l)
	}
	for i, p := range parts {
		if p == "" {
			return fmt.Errorf("locality %q has an empty part", l)
		}
		if strings.Contains(p, "*") && (p != "*" || i != len(parts)-1) {
			return fmt.Errorf("locality %q: the wildcard \"*\" may only be the whole last part", l)
		}
	}
	return nil
}

func sortedKeys(m map[string]int32) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
