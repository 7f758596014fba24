package xds

import (
	"fmt"
	"sort"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/route"
)

// gwVirtualHost is a virtual host being assembled from several servers
// and VirtualServices.
type gwVirtualHost struct {
	vh *routev3.VirtualHost
	// from records the (server port, VirtualService) pairs already merged,
	// so two servers sharing a host do not repeat a rule's routes.
	from map[string]bool
}

// gatewayRouteConfig builds a gateway route configuration for servers
// (the plain HTTP servers of one port, or one HTTPS server): a virtual
// host per host the bound VirtualServices serve there. VirtualServices
// meeting on a host are merged, their routes concatenated oldest first
// (on gateways Istio merges where sidecars keep only the oldest), with
// catch-all routes moved last so they cannot hide later rules. The port of
// the Host header is ignored, as on Istio's gateways: behind a load
// balancer a client's port is seldom the server's.
func (g *generator) gatewayRouteConfig(name string, servers []*gwServer) *routev3.RouteConfiguration {
	vhosts := map[string]*gwVirtualHost{}
	for _, s := range servers {
		for _, vs := range g.m.VirtualServicesForGateway(s.name, g.proxy.Namespace) {
			hosts := model.BoundHosts(s.hosts, vs)
			if len(hosts) == 0 || len(vs.Spec.HTTP) == 0 {
				continue
			}
			routes := g.gatewayHTTPRoutes(vs, s)
			for _, h := range hosts {
				gv := gatewayVirtualHost(vhosts, h, s.serverPort())
				key := fmt.Sprintf("%d|%s", s.serverPort(), vs.Ref)
				if !gv.from[key] {
					gv.from[key] = true
					gv.vh.Routes = append(gv.vh.Routes, routes...)
				}
			}
		}
		if s.httpsRedirect() {
			// Every host of the server answers plain HTTP with a redirect,
			// whether or not a VirtualService serves it.
			for _, h := range s.hosts {
				gatewayVirtualHost(vhosts, h.Host, s.serverPort()).vh.RequireTls = routev3.VirtualHost_ALL
			}
		}
	}
	rc := &routev3.RouteConfiguration{Name: name, IgnorePortInHostMatching: true}
	for _, h := range sortedKeys(vhosts) {
		vh := vhosts[h].vh
		vh.Routes = catchAllLast(vh.Routes)
		rc.VirtualHosts = append(rc.VirtualHosts, vh)
	}
	if len(rc.VirtualHosts) == 0 {
		// Nothing bound: answer 404 rather than leave the listener without
		// routes to fetch.
		rc.VirtualHosts = []*routev3.VirtualHost{{Name: names.GatewayBlackHoleVirtualHost(servers[0].serverPort()), Domains: []string{"*"}}}
	}
	return rc
}

// gatewayVirtualHost returns the virtual host of a host, creating it:
// named `<host>:<port>`, reached by the host. Hosts are lowercased, as
// Istio's gateways do: Envoy compares domains case-insensitively and
// refuses a table with two equal but for case, so hosts that differ only
// in case share one virtual host.
func gatewayVirtualHost(vhosts map[string]*gwVirtualHost, host string, port uint32) *gwVirtualHost {
	host = strings.ToLower(host)
	gv := vhosts[host]
	if gv == nil {
		gv = &gwVirtualHost{vh: &routev3.VirtualHost{Name: names.VirtualHost(host, port), Domains: []string{host}}, from: map[string]bool{}}
		vhosts[host] = gv
	}
	return gv
}

// gatewayHTTPRoutes translates a VirtualService's http rules for one
// server: matches on gateways are decided against that server's Gateway
// alone, and matches on port against the port the Gateway wrote.
func (g *generator) gatewayHTTPRoutes(vs *model.VirtualService, s *gwServer) []*routev3.Route {
	port := s.serverPort()
	routes, errs := route.Build(route.Params{
		VS:         vs.Ref,
		HTTP:       vs.Spec.HTTP,
		VSGateways: vs.Gateways,
		Port:       port,
		Proxy:      route.Proxy{Namespace: g.proxy.Namespace, Labels: g.proxy.Labels, Gateways: []string{s.name}},
		ClusterFor: func(owner types.NamespacedName, d networkingv1.Destination) (string, error) {
			return g.clusterFor(owner.Namespace, d, port)
		},
		Delegate: g.delegate(vs),
		HashPolicy: func(owner types.NamespacedName, d networkingv1.Destination) []*routev3.RouteAction_HashPolicy {
			return g.hashPolicy(owner.Namespace, d, port)
		},
	})
	for _, e := range errs {
		if e.Object == vs.Ref && !httpRuleReaches(vs, e.Field, s.name) {
			continue
		}
		g.problem(model.ObjectRef{Kind: e.Kind, NamespacedName: e.Object}, e.Field, e.Reason)
	}
	return routes
}

// httpRuleReaches says whether the http rule a field belongs to can apply
// on the gateway. The route builder translates every rule, applicable or
// not, but a destination only another proxy uses (a subset of a rule in
// the sidecars' namespace, say) is not this gateway's problem: in Istio's
// egress pattern the mesh-only rule names a subset the egress gateway
// cannot see.
func httpRuleReaches(vs *model.VirtualService, field, gateway string) bool {
	var i int
	if _, err := fmt.Sscanf(field, "http[%d]", &i); err != nil || i < 0 || i >= len(vs.Spec.HTTP) {
		return true
	}
	ms := vs.Spec.HTTP[i].Match
	if len(ms) == 0 {
		return true
	}
	for _, m := range ms {
		if len(m.Gateways) == 0 || contains(model.QualifyGateways(m.Gateways, vs.Ref.Namespace), gateway) {
			return true
		}
	}
	return false
}

// catchAllLast moves routes that match every request behind the others,
// keeping each group's order: merged VirtualServices must not shadow one
// another with a default route.
func catchAllLast(routes []*routev3.Route) []*routev3.Route {
	var specific, catchAll []*routev3.Route
	for _, r := range routes {
		if isCatchAll(r.GetMatch()) {
			catchAll = append(catchAll, r)
		} else {
			specific = append(specific, r)
		}
	}
	return append(specific, catchAll...)
}

func isCatchAll(m *routev3.RouteMatch) bool {
	if m == nil || len(m.Headers) > 0 || len(m.QueryParameters) > 0 || m.RuntimeFraction != nil || m.Grpc != nil || m.TlsContext != nil {
		return false
	}
	switch p := m.PathSpecifier.(type) {
	case *routev3.RouteMatch_Prefix:
		return p.Prefix == "/"
	case *routev3.RouteMatch_SafeRegex:
		return p.SafeRegex.GetRegex() == ".*"
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
