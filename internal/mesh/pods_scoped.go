package mesh

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// ComputePodsSince is the fast path for a change of Pods and/or
// EndpointSlices (pods deleted and recreated under new IPs, hence new
// node ids, their proxies reconnecting), given prev, what Compute, Join
// or this path gave for the previous model. An Envoy sidecar whose group
// (xds.GroupKey) prev translated, for a pod its translation reads alike
// (xds.WorkloadKey), gets prev's resources for the group with only its
// load assignments recomputed, those of unchanged services kept by
// pointer, as ComputeEndpointsSince does; gateways and proxyless gRPC
// nodes are translated in full. Nodes gone are absent, nodes without pod
// wait, as in Compute.
//
// What the translation reads of pods, and why the rest is equal:
//   - the proxy's own pod: its labels, namespace and locality are the
//     group input; its named container ports and, without a label naming
//     its service, its name are the WorkloadKey; its IP, UID and service
//     account only decide whether the node is that pod (ProxyFor, run
//     again here). Sidecar, PeerAuthentication, AuthorizationPolicy,
//     RequestAuthentication, Telemetry and rate-limit selection are by
//     labels, in the group input.
//   - other pods, through the services: endpoints (labels, locality,
//     sidecar status as tlsMode metadata, readiness), which only load
//     assignments carry for EDS services; and ServiceAccounts (the SANs
//     clusters verify), which model.SameBesidesPods reports per host (a
//     service's last meshed pod gone, or a pod of another service
//     account come, changes them): in a group with a cluster for such a
//     host, that host's clusters are translated again (identityUpdates), in
//     a stale half too when it is refreshed (pods_stale_halves.go).
//   - other pods directly: a DestinationRule with tls.mode DISABLE is
//     checked against each endpoint pod's PeerAuthentication (a problem,
//     reportPlaintextToStrict), so any DISABLE declines; proxyless
//     clients and gateways read pods, and are translated in full.
//
// Status is what Compute gives: the model's own (pods decide some of it:
// overlapping selectors, gateway credentials per namespace), the problems
// of the halves Compute would translate for these nodes and for the
// namespaces' representatives (prev's memo holds them, or carried them:
// a half's problems are those of its key, the model besides pods being
// equal), and those of the full translations. ok is false, and the caller
// runs Compute, when prev has no memo (it came from the endpoint-only or
// routes-only path),
// anything but pods and EDS endpoints changed, a DestinationRule
// DISABLEs TLS, or a sidecar's group, workload or a half is one prev
// lacks.
func ComputePodsSince(b *bundle.Bundle, nodes []Node, prev *Result) (*Result, bool) {
	if prev == nil || prev.memo == nil {
		return nil, false
	}
	m := model.Build(b)
	identities, same := m.SameBesidesPods(prev.Model)
	if !same {
		return nil, false
	}
	return podsSince(m, identities, nodes, prev)
}

// ComputeSlicesSince is ComputePodsSince for a change of the named
// EndpointSlices alone: the model is prev's with those slices' services'
// endpoints read again (model.WithSlices), which needs neither a Build nor
// the comparison that proves the rest equal; without that model
// (WithSlices declines) it is ComputePodsSince.
func ComputeSlicesSince(b *bundle.Bundle, nodes []Node, prev *Result, slices []types.NamespacedName) (*Result, bool) {
	if prev == nil || prev.memo == nil {
		return nil, false
	}
	m, ok := prev.Model.WithSlices(b, slices)
	if !ok {
		return ComputePodsSince(b, nodes, prev)
	}
	return podsSince(m, nil, nodes, prev)
}

// podsSince is the pod path once m is known to differ from prev's model in
// pods, endpoints and the identities of the hosts named (at most).
func podsSince(m *model.Model, identities map[string]bool, nodes []Node, prev *Result) (*Result, bool) {
	if disablesClientTLS(m) {
		return nil, false
	}
	old, t := prev.memo, newTranslations(m)
	// One comparison of the two models serves both the groups' load
	// assignments and the stale halves; unchanged is unchangedSince's.
	changed := changedHosts(prev.Model, m)
	bound := staleBound(m)
	t.stale = withIdentities(staleHalves(old, changed, bound), identities, bound)
	res := &Result{Model: m, Resources: map[string]*xds.Resources{}, memo: t}
	unchanged := func(h string) bool { return m.Services[h] != nil && !changed[h] }
	shared := sharedAssignments{}
	ids := identityUpdates{hosts: identities, byKey: map[string]*xds.OutboundUpdate{}}
	sidecars := map[string]xds.Proxy{} // by group, for status
	for _, n := range nodes {
		p, known := ProxyFor(m, n)
		switch {
		case !known:
			res.Waiting = append(res.Waiting, n.ID)
		case p.Type != names.Sidecar || p.Proxyless:
			res.Resources[n.ID] = t.forProxy(p, n)
		default:
			group := xds.GroupKey(p)
			r, ok := t.reusedGroup(old, p, n, group, unchanged, shared, ids)
			if !ok {
				return nil, false
			}
			res.Resources[n.ID], sidecars[group] = r, p
		}
	}
	if !t.carryProblems(old, sidecars) {
		return nil, false
	}
	podsStatus(t)
	res.Groups = len(t.byGroup)
	sort.Strings(res.Waiting)
	return res, true
}

// reusedGroup is the sidecar's group resources (group is its
// xds.GroupKey): those t made already; old's with new load assignments
// when old translated the group for a pod read alike; else translated
// here, as Compute would, but for its outbound half, which an earlier
// memo's half gives with its load assignments refreshed when t.stale
// holds one (pods_stale_halves.go).
func (t *translations) reusedGroup(old *translations, p xds.Proxy, n Node, group string, unchanged func(string) bool, shared sharedAssignments, ids identityUpdates) (*xds.Resources, bool) {
	if r, ok := t.byGroup[group]; ok {
		return r, true
	}
	before, ok := old.byGroup[group]
	if !ok || old.workloads[group] != xds.WorkloadKey(p) {
		return t.forProxy(p, n), true
	}
	if namesAnyHost(before.Clusters, ids.hosts) {
		if before, ok = ids.apply(t.m, p, before); !ok {
			return t.forProxy(p, n), true
		}
	}
	hosts := func() clusterHosts { return t.edsHostsOf(old, before.Clusters) }
	eps, ok := shared.assignments(t.m, p, before, old.alignedEDS(before), hosts, unchanged)
	if !ok {
		return nil, false
	}
	r := *before
	r.Endpoints = eps
	t.byGroup[group], t.workloads[group] = &r, old.workloads[group]
	// The assignments follow r's EDS clusters one for one: EndpointsSharing
	// builds one per cluster, in order, named for it (or returns before's,
	// equal to those), and a list shared from another group is taken only
	// when both groups' clusters were aligned with equal lists.
	t.aligned[&r] = true
	return &r, true
}

// identityUpdates translate again, in a group prev translated, the
// clusters of the hosts whose identities changed (the SANs they verify;
// nothing else reads identities, xds.OutboundIdentitiesUpdate): once per
// outbound key, applied to each group of that key, everything else kept
// by pointer. The model besides pods and identities is prev's, so the
// outbound key and Sidecar scope are too, which is what the rules update
// needs; the touched hosts' load assignments come out current, the
// others' are refreshed after as usual.
type identityUpdates struct {
	hosts map[string]bool
	byKey map[string]*xds.OutboundUpdate
}

func (u identityUpdates) apply(m *model.Model, p xds.Proxy, before *xds.Resources) (*xds.Resources, bool) {
	key := xds.OutboundKey(m, p)
	up := u.byKey[key]
	if up == nil {
		up = xds.OutboundIdentitiesUpdate(m, p, before, u.hosts)
		u.byKey[key] = up
	}
	return up.Apply(m, p, before)
}

// alignedEDS is alignedEDS of r's lists, known without the walk when the
// pods path built r.
func (t *translations) alignedEDS(r *xds.Resources) bool {
	return t.aligned[r] || alignedEDS(r.Clusters, r.Endpoints)
}

// carryProblems carries into t the problems of the sidecar halves
// Compute would translate for these sidecars (by group) and for the
// representatives of the namespaces none of them stands for (as
// sidecarHalves decides), unless t translated them: from old, or, for a
// representative old did not translate, by translating it now, as Compute
// does. False when old lacks a connected sidecar's half (it cannot: its
// group is old's).
func (t *translations) carryProblems(old *translations, sidecars map[string]xds.Proxy) bool {
	covered := map[string]bool{}
	need := map[string]bool{}
	for group, p := range sidecars {
		covered[p.Namespace+"|"+xds.SidecarKey(t.m, p)] = true
		need["out|"+xds.OutboundKey(t.m, p)], need["in|"+group] = true, true
	}
	reps := map[string]xds.Proxy{}
	for _, p := range representativeSidecars(t.m) {
		if !covered[p.Namespace+"|"+xds.SidecarKey(t.m, p)] {
			k := xds.OutboundKey(t.m, p)
			need["out|"+k], reps[k] = true, p
		}
	}
	for k := range need {
		if _, ok := t.problemsOf(k); ok {
			continue // translated here: parts() has its problems
		}
		if probs, ok := old.problemsOf(k); ok {
			t.carried[k] = probs
			continue
		}
		key, _ := strings.CutPrefix(k, "out|")
		rep, ok := reps[key]
		if !ok {
			return false
		}
		t.outbound[key] = xds.GenerateOutbound(t.m, rep)
	}
	return true
}

// problemsOf are the problems of the half named "out|" or "in|" and its
// key: translated here, or carried.
func (t *translations) problemsOf(k string) ([]xds.ObjectProblem, bool) {
	if probs, ok := t.carried[k]; ok {
		return probs, true
	}
	halves, key := t.inbound, strings.TrimPrefix(k, "in|")
	if out, ok := strings.CutPrefix(k, "out|"); ok {
		halves, key = t.outbound, out
	}
	r, ok := halves[key]
	if !ok {
		return nil, false
	}
	return r.Problems, true
}

// podsStatus completes the model's status as Compute does: the
// representative gateways' problems, those of every part translated and
// those carried.
func podsStatus(t *translations) {
	for _, p := range representativeGateways(t.m) {
		t.gatewayProblems(p)
	}
	for _, r := range t.parts() {
		for _, pr := range r.Problems {
			t.m.Status.Add(pr.Object, pr.Field, "%s", pr.Reason)
		}
	}
	for _, probs := range t.carried {
		for _, pr := range probs {
			t.m.Status.Add(pr.Object, pr.Field, "%s", pr.Reason)
		}
	}
}

// disablesClientTLS reports a DestinationRule with tls.mode DISABLE at
// any level: such a cluster's problems depend on the endpoints' pods.
func disablesClientTLS(m *model.Model) bool {
	for _, dr := range m.DestinationRules {
		if policyDisables(dr.Spec.TrafficPolicy) {
			return true
		}
		for _, s := range dr.Spec.Subsets {
			if policyDisables(s.TrafficPolicy) {
				return true
			}
		}
	}
	return false
}

func policyDisables(tp *networkingv1.TrafficPolicy) bool {
	if tp == nil {
		return false
	}
	if tlsDisables(tp.TLS) {
		return true
	}
	for _, pl := range tp.PortLevelSettings {
		if tlsDisables(pl.TLS) {
			return true
		}
	}
	return false
}

func tlsDisables(tls *networkingv1.ClientTLSSettings) bool {
	return tls != nil && strings.EqualFold(tls.Mode, "DISABLE")
}
