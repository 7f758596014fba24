package xds

import (
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// OutboundUpdate is what a rules change makes of one outbound half: its
// route configurations and outbound listeners whole (untouched pieces by
// pointer), and the clusters and load assignments that replace those of
// the touched hosts. Apply turns it into each group's resources.
type OutboundUpdate struct {
	routes    []*routev3.RouteConfiguration
	listeners []*listenerv3.Listener
	fresh     map[*listenerv3.Listener]bool
	// drop names the clusters (and load assignments) replaced; clusters
	// and endpoints replace them, before's own pointers where equal.
	drop      []string
	clusters  []*clusterv3.Cluster
	endpoints []*endpointv3.ClusterLoadAssignment
	// sameClusters and sameEndpoints say the replacement gives before's
	// lists back (a VirtualService change leaves clusters as they were):
	// groups keep theirs without a copy.
	sameClusters, sameEndpoints bool
	// Problems are those found translating the touched hosts.
	Problems []ObjectProblem
	// unchanged: the half is as it was (UnchangedOutbound).
	unchanged bool
	// clustersOnly: routes and listeners stay the group's or half's own
	// (OutboundIdentitiesUpdate).
	clustersOnly bool
}

// OutboundRulesUpdate translates, for sidecar p, the pieces of the hosts
// in touched, taking every other host's from before: the resources a
// full translation gave the same outbound key under the previous rules.
// The caller guarantees that only VirtualServices and DestinationRules
// changed and that p's outbound key and Sidecar scope did not.
func OutboundRulesUpdate(m *model.Model, p Proxy, before *Resources, touched map[string]bool) *OutboundUpdate {
	g := rulesGenerator(m, p, before, touched, false)
	visible := map[string]bool{}
	for _, svc := range g.visibleServices() {
		visible[svc.Hostname] = true
	}
	u := &OutboundUpdate{fresh: map[*listenerv3.Listener]bool{}}
	var have, dropped map[string]bool
	u.drop, have, dropped = replacedClusters(before.Clusters, touched, visible)
	g.addUnresolved(have, dropped)
	g.out.sort()
	u.routes = sameRoutes(g.out.Routes, g.reuse.routes)
	u.listeners = g.out.Listeners
	for _, l := range u.listeners {
		if !g.reuse.keptListeners[l] {
			u.fresh[l] = true
		}
	}
	u.replaceWith(g.out, before)
	u.Problems = g.out.Problems
	return u
}

// replaceWith makes out's clusters and load assignments the ones that
// replace before's named in u.drop, before's own pointers where equal.
func (u *OutboundUpdate) replaceWith(out, before *Resources) {
	u.clusters = samePointers(out.Clusters, before.Clusters, clusterName)
	u.endpoints = samePointers(out.Endpoints, before.Endpoints, assignmentName)
	u.sameClusters = samePointerList(splice(before.Clusters, u.drop, u.clusters, clusterName), before.Clusters)
	u.sameEndpoints = samePointerList(splice(before.Endpoints, u.drop, u.endpoints, assignmentName), before.Endpoints)
}

func clusterName(c *clusterv3.Cluster) string                   { return c.Name }
func assignmentName(e *endpointv3.ClusterLoadAssignment) string { return e.ClusterName }

// OutboundRulesProblems are the problems a full translation of p's
// outbound half finds in the touched hosts, for a proxy with no previous
// resources (a namespace's representative, status_sources.go).
func OutboundRulesProblems(m *model.Model, p Proxy, touched map[string]bool) []ObjectProblem {
	return rulesGenerator(m, p, nil, touched, true).out.Problems
}

// rulesGenerator runs the outbound half's listener and cluster building
// over the touched hosts, and validates what it built.
func rulesGenerator(m *model.Model, p Proxy, before *Resources, touched map[string]bool, problemsOnly bool) *generator {
	g := &generator{m: m, proxy: p, out: &Resources{}, reuse: newRulesReuse(before, touched)}
	g.reuse.onlyProblems = problemsOnly
	g.gateways = p.gatewayNames(m)
	for _, svc := range g.visibleServices() {
		if touched[svc.Hostname] {
			g.serviceClusters(svc)
		}
	}
	g.outboundListeners()
	g.validateFresh()
	return g
}

// replacedClusters lists before's outbound clusters a touched host's
// translation replaces: those of touched hosts in view, and every
// endpoint-less one of a host out of view (they follow from what the
// routes send to, recomputed by addUnresolved). have is what stays.
func replacedClusters(before []*clusterv3.Cluster, touched, visible map[string]bool) (drop []string, have, unresolved map[string]bool) {
	have, unresolved = map[string]bool{}, map[string]bool{}
	for _, c := range before {
		// outbound|<port>|<subset>|<host>, read without splitting: there
		// are thousands per half.
		host := c.Name[strings.LastIndexByte(c.Name, '|')+1:]
		switch {
		case !strings.HasPrefix(c.Name, outboundPrefix) || visible[host] && !touched[host]:
			have[c.Name] = true
		case !visible[host]:
			unresolved[c.Name] = true
			drop = append(drop, c.Name)
		default:
			drop = append(drop, c.Name)
		}
	}
	return drop, have, unresolved
}

var outboundPrefix = string(names.Outbound) + "|"

// addUnresolved is unresolvedClusters over the whole half: a kept route
// may send to a host out of view, whose cluster was one of before's.
func (g *generator) addUnresolved(have, wasUnresolved map[string]bool) {
	for _, c := range g.out.Clusters {
		have[c.Name] = true
	}
	var missing []string
	for name := range g.referencedClusters() {
		if !have[name] && (g.unresolved[name] || wasUnresolved[name]) {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		g.addCluster(unresolvedCluster(name))
		g.out.Endpoints = append(g.out.Endpoints, loadAssignment(name, nil))
	}
}

// sameRoutes swaps each new route configuration for before's when equal,
// so that it is not marshalled again.
func sameRoutes(routes []*routev3.RouteConfiguration, before map[string]*routev3.RouteConfiguration) []*routev3.RouteConfiguration {
	for i, rc := range routes {
		old := before[rc.Name]
		if old == nil || old == rc || len(old.VirtualHosts) != len(rc.VirtualHosts) {
			continue
		}
		same := true
		for j, vh := range rc.VirtualHosts {
			if vh != old.VirtualHosts[j] && !proto.Equal(vh, old.VirtualHosts[j]) {
				same = false
				break
			}
		}
		if same {
			routes[i] = old
		}
	}
	return routes[:len(routes):len(routes)]
}

// samePointers swaps each of list for before's resource of its name when
// equal; both are sorted by name.
func samePointers[T proto.Message](list, before []T, name func(T) string) []T {
	for i, x := range list {
		k := sort.Search(len(before), func(j int) bool { return name(before[j]) >= name(x) })
		if k < len(before) && name(before[k]) == name(x) && proto.Equal(before[k], x) {
			list[i] = before[k]
		}
	}
	return list
}

// Apply is before, one group's resources for the previous rules, with
// the update: its route configurations, its outbound listeners (new ones
// with the group's telemetry, as Compute adds it), and the replaced
// clusters and load assignments. before itself when nothing differs. ok
// is false when before lacks a listener the update kept from another
// group's (groups of one outbound key always have the same).
func (u *OutboundUpdate) Apply(m *model.Model, p Proxy, before *Resources) (*Resources, bool) {
	if u.unchanged {
		return before, true
	}
	listeners, routes, same := before.Listeners, before.Routes, true
	if !u.clustersOnly {
		var ok bool
		if listeners, same, ok = u.groupListeners(m, p, before.Listeners); !ok {
			return nil, false
		}
		routes = u.routes
	}
	out := *before
	out.Problems = nil
	out.Listeners = listeners
	out.Routes = routes
	if !u.sameClusters {
		out.Clusters = splice(before.Clusters, u.drop, u.clusters, clusterName)
	}
	if !u.sameEndpoints {
		out.Endpoints = splice(before.Endpoints, u.drop, u.endpoints, assignmentName)
	}
	if same && samePointerList(out.Routes, before.Routes) && samePointerList(out.Clusters, before.Clusters) && samePointerList(out.Endpoints, before.Endpoints) {
		return before, true
	}
	return &out, true
}

// groupListeners is before's listeners with the update's outbound ones;
// same when every one is before's own.
func (u *OutboundUpdate) groupListeners(m *model.Model, p Proxy, before []*listenerv3.Listener) ([]*listenerv3.Listener, bool, bool) {
	byName, out := outboundByName(before)
	var fresh []*listenerv3.Listener
	for _, l := range u.listeners {
		if u.fresh[l] {
			fresh = append(fresh, l)
		}
	}
	fresh = WithTelemetry(m, p, &Resources{Listeners: fresh}).Listeners
	same := len(u.listeners) == len(byName)
	for _, l := range u.listeners {
		old := byName[l.Name]
		if u.fresh[l] {
			l, fresh = fresh[0], fresh[1:]
			if old != nil && proto.Equal(old, l) {
				l = old
			}
		} else if old == nil {
			return nil, false, false
		} else {
			l = old
		}
		same = same && l == old
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, same, true
}

// outboundByName splits listeners into the outbound ones a rules update
// may replace (by name) and the rest (virtualOutbound, inbound), kept.
func outboundByName(listeners []*listenerv3.Listener) (map[string]*listenerv3.Listener, []*listenerv3.Listener) {
	byName := map[string]*listenerv3.Listener{}
	var rest []*listenerv3.Listener
	for _, l := range listeners {
		if l.TrafficDirection == corev3.TrafficDirection_OUTBOUND && l.Name != names.VirtualOutbound {
			byName[l.Name] = l
		} else {
			rest = append(rest, l)
		}
	}
	return byName, rest
}

// splice is list (sorted by name) without the resources named in drop
// and with add (sorted) in place: copies of the runs in between, so that
// a group's thousands of clusters cost a copy, not a map lookup each.
func splice[T any](list []T, drop []string, add []T, name func(T) string) []T {
	var skip []int
	for _, d := range drop {
		if k := sort.Search(len(list), func(j int) bool { return name(list[j]) >= d }); k < len(list) && name(list[k]) == d {
			skip = append(skip, k)
		}
	}
	sort.Ints(skip)
	out := make([]T, 0, len(list)-len(skip)+len(add))
	from := 0
	copyTo := func(to int) {
		for from < to {
			end := to
			if len(skip) > 0 && skip[0] < end {
				end = skip[0]
			}
			out = append(out, list[from:end]...)
			from = end
			if len(skip) > 0 && skip[0] == from {
				skip, from = skip[1:], from+1
			}
		}
	}
	for _, a := range add {
		copyTo(sort.Search(len(list), func(j int) bool { return name(list[j]) >= name(a) }))
		out = append(out, a)
	}
	copyTo(len(list))
	return out[:len(out):len(out)]
}

func samePointerList[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
