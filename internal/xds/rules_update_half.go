package xds

import "sort"

// ApplyToHalf is Apply for the outbound half itself rather than a group:
// half is what the previous rules gave the half (generateOutbound's
// resources, without telemetry), and the result is what they give under
// the new rules, problems aside (the caller carries those). Kept listeners
// are half's own, by name, since the update keeps the group's (with
// telemetry). ok is false when half lacks a listener the update kept.
func (u *OutboundUpdate) ApplyToHalf(half *Resources) (*Resources, bool) {
	if u.unchanged {
		out := *half
		out.Problems = nil
		return &out, true
	}
	if u.clustersOnly {
		out := *half
		out.Problems = nil
		out.Clusters = splice(half.Clusters, u.drop, u.clusters, clusterName)
		out.Endpoints = splice(half.Endpoints, u.drop, u.endpoints, assignmentName)
		return &out, true
	}
	byName, listeners := outboundByName(half.Listeners)
	for _, l := range u.listeners {
		if !u.fresh[l] {
			if l = byName[l.Name]; l == nil {
				return nil, false
			}
		}
		listeners = append(listeners, l)
	}
	sort.SliceStable(listeners, func(i, j int) bool { return listeners[i].Name < listeners[j].Name })
	out := *half
	out.Problems = nil
	out.Listeners = listeners
	out.Routes = u.routes
	out.Clusters = splice(half.Clusters, u.drop, u.clusters, clusterName)
	out.Endpoints = splice(half.Endpoints, u.drop, u.endpoints, assignmentName)
	return &out, true
}
