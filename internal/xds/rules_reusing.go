package xds

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sailplane/sailplane/internal/model"
)

// A VirtualService or DestinationRule decides, in a sidecar's outbound
// half, the virtual hosts, TCP/TLS/sniffed listeners, clusters and load
// assignments of the hosts it binds, sends to or configures, and nothing
// of the other hosts: their pieces are functions of the host's service
// (unchanged), the proxy (same outbound key) and the rules that name the
// host. So a translation told which hosts a rules change touched runs the
// same code as GenerateOutbound, but takes an untouched host's pieces from
// the previous half by name (rulesReuse), and only touched hosts reach the
// route builder, the cluster policy and the validator. Route
// configurations keep the full translation's order because the loop that
// builds them is the full translation's loop.

// rulesReuse is what a translation keeps from the previous one: nil in a
// full translation; with no previous resources (problems only), an
// untouched host contributes nothing.
type rulesReuse struct {
	touched   map[string]bool
	routes    map[string]*routev3.RouteConfiguration
	listeners map[string]*listenerv3.Listener
	vhosts    map[string]map[string]*routev3.VirtualHost
	// keptHosts and keptListeners are the pieces taken from before: they
	// were validated then, and carry before's telemetry.
	keptHosts     map[*routev3.VirtualHost]bool
	keptListeners map[*listenerv3.Listener]bool
	// onlyProblems: the translation is run for the touched hosts'
	// problems alone (OutboundRulesProblems), its resources dropped.
	onlyProblems bool
}

// problemsOnly says an untouched host needs nothing at all: not even its
// domains, which a kept host still claims so that a rebuilt one's are
// what a full translation gives them (domains are never a problem).
func (r *rulesReuse) problemsOnly() bool { return r != nil && r.onlyProblems }

func newRulesReuse(before *Resources, touched map[string]bool) *rulesReuse {
	r := &rulesReuse{
		touched:       touched,
		routes:        map[string]*routev3.RouteConfiguration{},
		listeners:     map[string]*listenerv3.Listener{},
		vhosts:        map[string]map[string]*routev3.VirtualHost{},
		keptHosts:     map[*routev3.VirtualHost]bool{},
		keptListeners: map[*listenerv3.Listener]bool{},
	}
	if before == nil {
		return r
	}
	for _, rc := range before.Routes {
		r.routes[rc.Name] = rc
	}
	for _, l := range before.Listeners {
		r.listeners[l.Name] = l
	}
	return r
}

// keeps says the host's pieces come from before.
func (r *rulesReuse) keeps(host string) bool { return r != nil && !r.touched[host] }

// virtualHost is before's virtual host name of route configuration rc
// (nil if it had none), when the host is untouched.
func (r *rulesReuse) virtualHost(rc, host, name string) (*routev3.VirtualHost, bool) {
	if !r.keeps(host) {
		return nil, false
	}
	byName, ok := r.vhosts[rc]
	if !ok {
		byName = map[string]*routev3.VirtualHost{}
		for _, vh := range r.routes[rc].GetVirtualHosts() {
			byName[vh.Name] = vh
		}
		r.vhosts[rc] = byName
	}
	vh := byName[name]
	if vh != nil {
		r.keptHosts[vh] = true
	}
	return vh, true
}

// listener is before's listener name of an untouched host (nil if it had
// none).
func (r *rulesReuse) listener(host, name string) (*listenerv3.Listener, bool) {
	if !r.keeps(host) {
		return nil, false
	}
	l := r.listeners[name]
	if l != nil {
		r.keptListeners[l] = true
	}
	return l, true
}

// route is before's route configuration name, a sniffed port's own.
func (r *rulesReuse) route(name string) *routev3.RouteConfiguration {
	rc := r.routes[name]
	for _, vh := range rc.GetVirtualHosts() {
		r.keptHosts[vh] = true
	}
	return rc
}

// validateFresh is validate for what was built anew: reused pieces passed
// it when they were built, and are shared with proxies being served, so
// they are neither checked nor written again.
func (g *generator) validateFresh() {
	r := g.reuse
	for _, rc := range g.out.Routes {
		if r.routes[rc.Name] == rc {
			continue
		}
		g.dropRefusedIn(rc, r.keptHosts)
	}
	g.out.Clusters = g.validClusters(g.out.Clusters)
	var fresh, kept []*listenerv3.Listener
	for _, l := range g.out.Listeners {
		if r.keptListeners[l] {
			kept = append(kept, l)
		} else {
			fresh = append(fresh, l)
		}
	}
	g.out.Listeners = append(kept, keepValid(g, fresh, func(l *listenerv3.Listener) (string, model.ObjectRef) {
		return "listener " + l.Name, generatorRef
	})...)
	routes := g.out.Routes[:0]
	for _, rc := range g.out.Routes {
		if r.routes[rc.Name] == rc || g.freshHostsValid(rc) {
			routes = append(routes, rc)
			continue
		}
		routes = append(routes, keepValid(g, []*routev3.RouteConfiguration{rc}, func(r *routev3.RouteConfiguration) (string, model.ObjectRef) {
			return "route configuration " + r.Name, generatorRef
		})...)
	}
	g.out.Routes = routes
}

// freshHostsValid says a route configuration that had a valid version in
// before is valid: its fields but the virtual hosts are fixed, and the
// virtual hosts kept from before were valid there.
func (g *generator) freshHostsValid(rc *routev3.RouteConfiguration) bool {
	if g.reuse.routes[rc.Name] == nil {
		return false
	}
	for _, vh := range rc.VirtualHosts {
		if !g.reuse.keptHosts[vh] && g.validOnce(vh) != nil {
			return false
		}
	}
	return true
}
