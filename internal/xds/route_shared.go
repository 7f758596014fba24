package xds

import (
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
