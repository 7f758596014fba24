package policy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// fullEnforcement makes Envoy eject every time a detector fires.
const fullEnforcement = 100

// applyOutlierDetection maps outlierDetection the way Istio does: only the
// consecutive-error detectors, success-rate ejection off (Envoy enables it
// by default), and the panic threshold from minHealthPercent.
func applyOutlierDetection(c *clusterv3.Cluster, od *networkingv1.OutlierDetection, r *reporter) {
	c.OutlierDetection = nil
	if od == nil {
		return
	}
	out := &clusterv3.OutlierDetection{EnforcingSuccessRate: wrapperspb.UInt32(0)}
	if od.ConsecutiveErrors > 0 {
		// The deprecated field counted 502/503/504 only (istio/api#617), so
		// Istio maps it to gateway failures and turns off the 5xx detector
		// Envoy would otherwise run with its default of 5.
		out.ConsecutiveGatewayFailure = wrapperspb.UInt32(uint32(od.ConsecutiveErrors))
		out.EnforcingConsecutiveGatewayFailure = wrapperspb.UInt32(fullEnforcement)
		out.EnforcingConsecutive_5Xx = wrapperspb.UInt32(0)
	}
	if n, ok := count(od.Consecutive5xxErrors, "consecutive5xxErrors", r); ok {
		// Zero switches the detector off: enforcement 0, as Istio does.
		out.Consecutive_5Xx = wrapperspb.UInt32(n)
		out.EnforcingConsecutive_5Xx = wrapperspb.UInt32(enforcement(n))
	}
	if n, ok := count(od.ConsecutiveGatewayErrors, "consecutiveGatewayErrors", r); ok {
		out.ConsecutiveGatewayFailure = wrapperspb.UInt32(n)
		out.EnforcingConsecutiveGatewayFailure = wrapperspb.UInt32(enforcement(n))
	}
	out.Interval = r.duration(secOutlierDetection, "interval", od.Interval)
	out.BaseEjectionTime = r.duration(secOutlierDetection, "baseEjectionTime", od.BaseEjectionTime)
	if od.MaxEjectionPercent > 0 {
		if p, ok := percent(od.MaxEjectionPercent, "maxEjectionPercent", r); ok {
			out.MaxEjectionPercent = wrapperspb.UInt32(p)
		}
	}
	applyLocalOrigin(out, od, r)
	c.OutlierDetection = out
	applyPanicThreshold(c, od, r)
}

// applyLocalOrigin separates local failures (connect errors, timeouts)
// from the upstream's 5xx. Without the split Envoy counts them as 5xx and
// consecutiveLocalOriginFailures means nothing, so Istio ignores it.
func applyLocalOrigin(out *clusterv3.OutlierDetection, od *networkingv1.OutlierDetection, r *reporter) {
	if !od.SplitExternalLocalOriginErrors {
		return
	}
	out.SplitExternalLocalOriginErrors = true
	out.EnforcingLocalOriginSuccessRate = wrapperspb.UInt32(0)
	if n, ok := count(od.ConsecutiveLocalOriginFailures, "consecutiveLocalOriginFailures", r); ok && n > 0 {
		out.ConsecutiveLocalOriginFailure = wrapperspb.UInt32(n)
		out.EnforcingConsecutiveLocalOriginFailure = wrapperspb.UInt32(fullEnforcement)
	}
}

// applyPanicThreshold sets healthy_panic_threshold to minHealthPercent even
// when it is 0 (unset): Envoy's default of 50% makes small Kubernetes
// services send traffic to ejected pods, so Istio disables panic mode
// unless the rule asks for it.
func applyPanicThreshold(c *clusterv3.Cluster, od *networkingv1.OutlierDetection, r *reporter) {
	p, ok := percent(od.MinHealthPercent, "minHealthPercent", r)
	if !ok {
		p = 0
	}
	if c.CommonLbConfig == nil {
		c.CommonLbConfig = &clusterv3.Cluster_CommonLbConfig{}
	}
	c.CommonLbConfig.HealthyPanicThreshold = &typev3.Percent{Value: float64(p)}
}

func enforcement(n uint32) uint32 {
	if n == 0 {
		return 0
	}
	return fullEnforcement
}

// count reads an optional non-negative error count.
func count(v *int32, field string, r *reporter) (uint32, bool) {
	if v == nil {
		return 0, false
	}
	if *v < 0 {
		r.add(secOutlierDetection, field, "must not be negative, got %d", *v)
		return 0, false
	}
	return uint32(*v), true
}

func percent(v int32, field string, r *reporter) (uint32, bool) {
	if v < 0 || v > 100 {
		r.add(secOutlierDetection, field, "must be between 0 and 100, got %d", v)
		return 0, false
	}
	return uint32(v), true
}
