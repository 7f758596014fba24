package xds

import (
	"slices"
	"strings"
	"sync"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// The default route of a service no VirtualService binds is, for a
// sidecar that sees the service and keeps it in its Sidecar scope, a
// function of the service, the port and the DestinationRule that applies
// (its consistent-hash policy goes on the route), and of the model: the
// destination is the service itself, without subset, and a sidecar's
// gateways are always [mesh]. Most services of a mesh have no
// VirtualService, and every outbound half built their routes again, so
// they are built once per model and shared, like the outbound clusters
// (cluster_shared.go). Proxyless clients rewrite their routes for gRPC
// and gateways append to theirs, so they build their own.

// defaultRoutesKey is the whole input of a shared default route besides
// the model.
type defaultRoutesKey struct {
	svc  *model.Service
	port uint32
	dr   *model.DestinationRule
}

// sharedRoutes is what defaultRoutes returns and reports.
type sharedRoutes struct {
	routes   []*routev3.Route
	problems []ObjectProblem
}

// sharesDefaultRoutes reports whether the proxy's default routes to svc
// are the shared ones: a sidecar (not proxyless) that sees svc and has it
// in scope, so that resolving the destination records nothing.
func (g *generator) sharesDefaultRoutes(svc *model.Service) bool {
	return g.proxy.Type == names.Sidecar && !g.proxyless && svc.ExportTo.VisibleTo(g.proxy.Namespace) && g.serviceInScope(svc)
}

func (g *generator) sharedDefaultRoutes(svc *model.Service, port uint32) []*routev3.Route {
	key := defaultRoutesKey{svc: svc, port: port, dr: g.m.DestinationRuleFor(g.proxy.Namespace, g.proxy.Labels, svc)}
	shared := g.m.Memo(key, func() any {
		one := &generator{m: g.m, proxy: g.proxy, gateways: g.gateways, out: &Resources{}, sidecarScope: g.sidecarScope, scoped: g.scoped}
		routes := one.defaultRoutes(svc, port)
		return &sharedRoutes{routes: routes[:len(routes):len(routes)], problems: one.out.Problems}
	}).(*sharedRoutes)
	g.out.Problems = append(g.out.Problems, shared.problems...)
	return shared.routes
}

// A sidecar's virtual host is its name, its domains and its routes: when
// the routes are shared (above, route_vs_shared.go), the outbound halves
// of every namespace but the service's own list the same domains too, so
// the virtual host itself is shared, and the snapshot builder, which
// keeps a virtual host's bytes by pointer, encodes it once rather than
// once per namespace.

// vhostKey is what a shared virtual host is found by; its routes are
// then compared element by element.
type vhostKey struct {
	name, domains string
	first         *routev3.Route
	n             int
}

type vhostEntry struct {
	mu    sync.Mutex
	hosts []*routev3.VirtualHost
}

// maxSharedHosts bounds the virtual hosts kept per key.
const maxSharedHosts = 4

// virtualHost is the virtual host of name with doms and routes: the
// model's shared one when routes are shared, else the proxy's own.
func (g *generator) virtualHost(name string, doms []string, routes []*routev3.Route, shared bool) *routev3.VirtualHost {
	if !shared || g.proxy.Type != names.Sidecar || g.proxyless {
		return &routev3.VirtualHost{Name: name, Domains: doms, Routes: routes}
	}
	key := vhostKey{name: name, domains: strings.Join(doms, "\x00"), first: routes[0], n: len(routes)}
	e := g.m.Memo(key, func() any { return &vhostEntry{} }).(*vhostEntry)
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, vh := range e.hosts {
		if slices.Equal(vh.Routes, routes) {
			return vh
		}
	}
	vh := &routev3.VirtualHost{Name: name, Domains: doms, Routes: routes[:len(routes):len(routes)]}
	if len(e.hosts) < maxSharedHosts {
		e.hosts = append(e.hosts, vh)
	}
	return vh
}
