package xds

import (
	"fmt"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// outboundRouteConfig is route configuration `<port>`: a virtual host per
// service on the port, reachable by every name a client may use, plus
// allow_any for everything else. Envoy ignores the port of the Host header
// when it picks a virtual host, as Istio's sidecars have since 1.17: the
// listener already chose the port, so `reviews:9080` and `reviews` are one
// name and the table lists each name once.
func (g *generator) outboundRouteConfig(port uint32, svcs []*model.Service) *routev3.RouteConfiguration {
	rc := &routev3.RouteConfiguration{Name: names.OutboundRouteConfig(port), IgnorePortInHostMatching: true}
	// Sized for a service's usual names (short forms and addresses):
	// growing it rehashed ~10k names per table.
	hint := 5 * len(svcs)
	if g.reuse.problemsOnly() {
		hint = 0 // only touched hosts claim names
	}
	taken := make(map[string]bool, hint)
	for _, svc := range svcs {
		if svc.CaseVariantOf != "" {
			continue // reported by the model; the older host serves both
		}
		name := names.VirtualHost(svc.Hostname, port)
		old, kept := g.reuse.virtualHost(rc.Name, svc.Hostname, name)
		if kept && g.reuse.problemsOnly() {
			continue
		}
		if old != nil {
			// The same services came first, so it claims what it claimed.
			for _, d := range old.Domains {
				taken[d] = true
			}
			rc.VirtualHosts = append(rc.VirtualHosts, old)
			continue
		}
		doms := domains(svc, g.proxy.Namespace, taken)
		if kept {
			continue // it had no virtual host; its names are taken all the same
		}
		routes, shared := g.serviceRoutes(svc, port)
		if len(doms) == 0 || len(routes) == 0 {
			continue
		}
		rc.VirtualHosts = append(rc.VirtualHosts, g.virtualHost(name, doms, routes, shared))
	}
	rc.VirtualHosts = append(rc.VirtualHosts, g.nonRegistryVirtualHosts(port, svcs, taken)...)
	rc.VirtualHosts = append(rc.VirtualHosts, g.catchAllVirtualHost())
	return rc
}

// domains lists the names a client in clientNS uses for the service, in
// lower case and without a port (the table ignores the Host header's). A
// domain already used by an earlier virtual host is skipped: Envoy
// lowercases domains and rejects the whole table when two are equal.
func domains(svc *model.Service, clientNS string, taken map[string]bool) []string {
	short := model.ShortNames(svc, clientNS)
	out := make([]string, 0, len(short)+len(svc.Addresses))
	for _, list := range [][]string{short, svc.Addresses} {
		for _, n := range list {
			out = claim(out, strings.ToLower(n), taken)
		}
	}
	return out
}

// claim appends d unless the table already has it.
func claim(out []string, d string, taken map[string]bool) []string {
	if taken[d] {
		return out
	}
	taken[d] = true
	return append(out, d)
}

// serviceRoutes translates the VirtualServices bound to the service for
// this proxy, or builds the default route to the service itself; shared
// says every route is one the model shares between sidecars.
func (g *generator) serviceRoutes(svc *model.Service, port uint32) ([]*routev3.Route, bool) {
	var routes []*routev3.Route
	shared := true
	for _, vs := range g.sidecarVirtualServices(svc.Hostname) {
		if len(vs.Spec.HTTP) == 0 {
			continue
		}
		own, sharedOne := g.vsRoutes(vs, port)
		routes, shared = append(routes, own...), shared && sharedOne
	}
	if routes != nil {
		return routes, shared
	}
	if g.sharesDefaultRoutes(svc) {
		return g.sharedDefaultRoutes(svc, port), true
	}
	return g.defaultRoutes(svc, port), false
}

// defaultRoutes is the route of a service no VirtualService binds: all of
// its traffic to its own cluster on the port.
func (g *generator) defaultRoutes(svc *model.Service, port uint32) []*routev3.Route {
	self := &model.VirtualService{Ref: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}, Gateways: g.gateways}
	def := []networkingv1.HTTPRoute{{
		Name:  "default",
		Route: []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: svc.Hostname, Port: &networkingv1.PortSelector{Number: networkingv1.PortNumber(port)}}}},
	}}
	return g.translateHTTP(self, def, port)
}

// translateHTTP builds the routes of an http section for this proxy and
// applies what the build found (problems, clusters without endpoints).
func (g *generator) translateHTTP(vs *model.VirtualService, http []networkingv1.HTTPRoute, port uint32) []*routev3.Route {
	return g.buildRoutes(vs, http, port).take(g)
}

func (g *generator) delegate(parent *model.VirtualService) func(networkingv1.Delegate) (types.NamespacedName, []networkingv1.HTTPRoute, error) {
	return func(d networkingv1.Delegate) (types.NamespacedName, []networkingv1.HTTPRoute, error) {
		ref := types.NamespacedName{Namespace: d.Namespace, Name: d.Name}
		if ref.Namespace == "" {
			ref.Namespace = parent.Ref.Namespace
		}
		child := g.m.VirtualService(ref)
		if child == nil {
			return ref, nil, fmt.Errorf("delegate VirtualService %s not found", ref)
		}
		if !child.ExportTo.VisibleTo(parent.Ref.Namespace) {
			return ref, nil, fmt.Errorf("delegate VirtualService %s is not exported to namespace %s", ref, parent.Ref.Namespace)
		}
		return ref, child.Spec.HTTP, nil
	}
}

// hashPolicy returns the consistent-hash policy of the destination's
// DestinationRule (subset and port aware), which Envoy wants on the route.
func (g *generator) hashPolicy(ns string, d networkingv1.Destination, port uint32) []*routev3.RouteAction_HashPolicy {
	svc, dr := g.hashInputs(ns, d)
	return hashPolicyOf(svc, dr, d, port)
}

// hashInputs are what hashPolicy reads of the model and the proxy: the
// destination's service and the DestinationRule that applies to it.
func (g *generator) hashInputs(ns string, d networkingv1.Destination) (*model.Service, *model.DestinationRule) {
	svc := g.m.Services[g.m.DestinationHost(d.Host, ns)]
	if svc == nil {
		return nil, nil
	}
	return svc, g.m.DestinationRuleFor(g.proxy.Namespace, g.proxy.Labels, svc)
}

func hashPolicyOf(svc *model.Service, dr *model.DestinationRule, d networkingv1.Destination, port uint32) []*routev3.RouteAction_HashPolicy {
	if svc == nil || dr == nil {
		return nil
	}
	var sub *networkingv1.TrafficPolicy
	if s := dr.Subset(d.Subset); s != nil {
		sub = s.TrafficPolicy
	}
	p, err := destinationPort(svc, d, port)
	if err != nil {
		return nil
	}
	return policy.HashPolicy(policy.Effective(dr.Spec.TrafficPolicy, sub, p))
}
