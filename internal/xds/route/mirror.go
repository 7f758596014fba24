package route

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// mirrors translates mirror (with mirrorPercentage or the deprecated
// mirror_percent) and mirrors. A mirror whose destination does not resolve,
// or whose percentage is 0, is left out: Istio then mirrors nothing, and the
// primary traffic is unaffected either way.
func (b *builder) mirrors(r *rule) []*routev3.RouteAction_RequestMirrorPolicy {
	var out []*routev3.RouteAction_RequestMirrorPolicy
	if m := r.spec.Mirror; m != nil {
		pct := defaults.MirrorPercentWhenMissing
		switch {
		case r.spec.MirrorPercentage != nil:
			pct = r.spec.MirrorPercentage.Value
		case r.spec.MirrorPercent != nil:
			pct = float64(*r.spec.MirrorPercent)
		}
		if p := b.mirrorPolicy(r.at("mirror"), *m, pct); p != nil {
			out = append(out, p)
		}
	}
	for i, m := range r.spec.Mirrors {
		pct := defaults.MirrorPercentWhenMissing
		if m.Percentage != nil {
			pct = m.Percentage.Value
		}
		if p := b.mirrorPolicy(r.at("mirrors").index(i).field("destination"), m.Destination, pct); p != nil {
			out = append(out, p)
		}
	}
	return out
}

func (b *builder) mirrorPolicy(at loc, d networkingv1.Destination, pct float64) *routev3.RouteAction_RequestMirrorPolicy {
	if pct <= 0 {
		return nil
	}
	cluster, err := b.clusterFor(at.obj, d)
	switch {
	case err != nil && cluster == "":
		b.errs.add(at, "%v; mirror ignored", err)
		return nil
	case err != nil:
		// A host outside the registry: mirrored to its empty cluster,
		// which goes nowhere, as in Istio.
		b.errs.add(at, "%v", err)
	}
	return &routev3.RouteAction_RequestMirrorPolicy{
		Cluster:         cluster,
		RuntimeFraction: &corev3.RuntimeFractionalPercent{DefaultValue: fractionalPercent(pct)},
	}
}
