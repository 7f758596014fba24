package xds

import (
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
)

// A rules change confined to some hosts leaves a Sidecar-scoped outbound
// half alone when nothing it holds comes from those hosts or from the
// changed rules: with a Sidecar per workload a change touches a few
// halves of a thousand, and updating every one of them (a generator,
// its maps, a walk over its virtual hosts) was most of the change's cost.
//
// What a scoped half holds of the rules: the clusters and virtual hosts of
// its scope's hosts (a touched host in scope is translated again), and the
// virtual hosts of the non-registry hosts of the VirtualServices its
// egress selects (those are rebuilt from the rules as they are). Routes
// reach only hosts in scope (the scope holds the selected rules'
// destinations), so a DestinationRule matters only through a host in
// scope.

// OutboundUnaffected reports that the half of old under prev and of p
// under m are equal because the rules change cannot reach them: both have
// a Sidecar scope, no touched host is in either, and neither's egress
// selects an affected VirtualService. The caller has checked that the two
// scopes hold the same hosts and that only rules changed.
func OutboundUnaffected(prev *model.Model, old Proxy, m *model.Model, p Proxy, touched map[string]bool, affected func(types.NamespacedName) bool) bool {
	for _, side := range []struct {
		m *model.Model
		p Proxy
	}{{prev, old}, {m, p}} {
		s := outboundGenerator(side.m, OutboundOf(side.m, side.p)).scope()
		if s == nil || s.touches(touched) {
			return false
		}
		for _, vs := range s.virtualServices {
			if affected(vs.Ref) {
				return false
			}
		}
	}
	return true
}

// touches reports whether a host of touched is in scope.
func (s *sidecarScope) touches(touched map[string]bool) bool {
	small, large := touched, s.hosts
	if len(small) > len(large) {
		small, large = large, small
	}
	for h := range small {
		if large[h] {
			return true
		}
	}
	return false
}

// UnchangedOutbound is the update of a half the change leaves alone
// (OutboundUnaffected): applied, it gives the resources it is applied to.
func UnchangedOutbound() *OutboundUpdate { return &OutboundUpdate{unchanged: true} }
