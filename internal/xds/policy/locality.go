package policy

import networkingv1 "github.com/sailplane/sailplane/api/networking/v1"

// applyLocality reports the locality settings sailplane cannot honour yet.
// In Istio they act on endpoints, not on the cluster: distribute weights
// localities and failover/failoverPriority give them priorities in the
// ClusterLoadAssignment (the cluster only gets locality_weighted_lb_config
// to make Envoy read those weights). Sailplane's endpoints carry neither
// yet, so turning on locality weighting alone would change nothing or, with
// unweighted localities, starve them; reporting is the honest answer. A bare
// `enabled` has no cluster-side effect in Istio either and is accepted.
func applyLocality(lb *networkingv1.LoadBalancerSettings, r *reporter) {
	if lb == nil || lb.LocalityLbSetting == nil {
		return
	}
	l := lb.LocalityLbSetting
	if l.Enabled != nil && !*l.Enabled {
		return // disabled: Istio ignores the rest
	}
	const why = "is not supported yet: sailplane does not weight or prioritise endpoints by locality"
	if len(l.Distribute) > 0 {
		r.add(secLoadBalancer, "localityLbSetting.distribute", why)
	}
	if len(l.Failover) > 0 {
		r.add(secLoadBalancer, "localityLbSetting.failover", why)
	}
	if len(l.FailoverPriority) > 0 {
		r.add(secLoadBalancer, "localityLbSetting.failoverPriority", why)
	}
}
