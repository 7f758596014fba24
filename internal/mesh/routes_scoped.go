package mesh

import (
	"fmt"
	"sort"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/parallel"
	"github.com/sailplane/sailplane/internal/xds"
)

// ComputeRoutesSince is the fast path for a change of VirtualServices only,
// given last, what Compute gave the same nodes for the model prev. A
// sidecar's VirtualServices decide only its outbound route configurations
// and the outbound listeners that name them (xds.OutboundRoutes); its
// inbound half, clusters, load assignments and secrets are the same. So
// every sidecar group keeps last's resources but those, which are
// translated once per outbound key. Gateways and proxyless gRPC nodes,
// whose VirtualServices reach further, are translated in full, sharing
// what Compute would share.
//
// ok is false, and the caller runs Compute, when a node has no previous
// result, its proxy's outbound key or group changed (a sourceLabels match
// adds a label key), its Sidecar scope changed (an in-scope
// VirtualService's destinations join it, and with them their clusters),
// or the new routes send to other clusters than the old ones (a
// destination the proxy cannot see gets a cluster of its own).
// Status holds the model's problems and those of what was translated.
func ComputeRoutesSince(b *bundle.Bundle, nodes []Node, last map[string]*xds.Resources, prev *model.Model) (*Result, bool) {
	if prev == nil {
		return nil, false
	}
	m := model.Build(b)
	res := &Result{Model: m, Resources: map[string]*xds.Resources{}}
	full := newTranslations(m)
	proxies := make([]xds.Proxy, len(nodes))
	keys := make([]string, len(nodes))
	index := map[string]int{}
	var reps []xds.Proxy
	for i, n := range nodes {
		if _, ok := last[n.ID]; !ok {
			return nil, false
		}
		p, found := ProxyFor(m, n)
		if !found {
			return nil, false
		}
		proxies[i] = p
		if generatorOf(n) == GeneratorGRPC || p.Type != names.Sidecar {
			continue
		}
		old, found := ProxyFor(prev, n)
		if !found || xds.OutboundKey(prev, old) != xds.OutboundKey(m, p) || xds.GroupKey(old) != xds.GroupKey(p) {
			return nil, false
		}
		keys[i] = xds.OutboundKey(m, p)
		if _, ok := index[keys[i]]; !ok {
			// A host in scope usually has a default virtual host or TCP
			// listener, so the referenced-cluster check below sees a
			// scope change too; this also covers one with neither.
			if !sameHosts(xds.OutboundScope(prev, old), xds.OutboundScope(m, p)) {
				return nil, false
			}
			index[keys[i]] = len(reps)
			reps = append(reps, p)
		}
	}
	routes := make([]*xds.Resources, len(reps))
	parallel.Each(len(reps), func(i int) { routes[i] = xds.OutboundRoutes(m, reps[i]) })
	type shared struct {
		before *xds.Resources
		key    string
	}
	updated := map[shared]*xds.Resources{}
	refs := referenced{}
	for i, n := range nodes {
		if keys[i] == "" {
			res.Resources[n.ID] = full.forProxy(proxies[i], n)
			continue
		}
		before := last[n.ID]
		if next, done := updated[shared{before, keys[i]}]; done {
			res.Resources[n.ID] = next
			continue
		}
		next, ok := withRoutes(m, proxies[i], before, routes[index[keys[i]]], refs)
		if !ok {
			return nil, false
		}
		updated[shared{before, keys[i]}] = next
		res.Resources[n.ID] = next
	}
	for _, r := range append(full.parts(), routes...) {
		for _, pr := range r.Problems {
			m.Status.Add(pr.Object, pr.Field, "%s", pr.Reason)
		}
	}
	res.Groups = len(updated) + len(full.byGroup)
	return res, true
}

// withRoutes is before with its outbound route configurations and the
// listeners naming them replaced by routes' (with the proxy's telemetry,
// as Compute adds it); false when the new ones send to other clusters.
func withRoutes(m *model.Model, p xds.Proxy, before, routes *xds.Resources, refs referenced) (*xds.Resources, bool) {
	var kept, replaced []*listenerv3.Listener
	for _, l := range before.Listeners {
		if l.TrafficDirection == corev3.TrafficDirection_OUTBOUND && l.Name != names.VirtualOutbound {
			replaced = append(replaced, l)
		} else {
			kept = append(kept, l)
		}
	}
	was := refs.of(before.Routes, replaced)
	now := refs.of(routes.Routes, routes.Listeners)
	if len(was) != len(now) {
		return nil, false
	}
	for c := range now {
		if !was[c] {
			return nil, false
		}
	}
	added := xds.WithTelemetry(m, p, &xds.Resources{Listeners: routes.Listeners}).Listeners
	listeners := append(kept, added...)
	sort.SliceStable(listeners, func(i, j int) bool { return listeners[i].Name < listeners[j].Name })
	out := *before
	out.Listeners = listeners
	out.Routes = routes.Routes[:len(routes.Routes):len(routes.Routes)]
	out.Problems = nil
	return &out, true
}

// referenced memoises xds.ReferencedClusters by the protos it walks:
// groups share their outbound half's routes and listeners, and a walk of
// a thousand virtual hosts per group would cost more than the
// translation.
type referenced map[string]map[string]bool

func (r referenced) of(routes []*routev3.RouteConfiguration, listeners []*listenerv3.Listener) map[string]bool {
	var b strings.Builder
	for _, rc := range routes {
		fmt.Fprintf(&b, "%p,", rc)
	}
	b.WriteString("|")
	for _, l := range listeners {
		fmt.Fprintf(&b, "%p,", l)
	}
	k := b.String()
	set, ok := r[k]
	if !ok {
		set = xds.ReferencedClusters(&xds.Resources{Routes: routes, Listeners: listeners})
		r[k] = set
	}
	return set
}

func sameHosts(a, b map[string]bool) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for h := range a {
		if !b[h] {
			return false
		}
	}
	return true
}
