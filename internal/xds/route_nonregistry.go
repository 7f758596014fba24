package xds

import (
	"fmt"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// nonRegistryVirtualHosts gives the VirtualService hosts that name no
// service on the port (an external name, a wildcard such as `*.tld` that
// matches no service) their own virtual host in route configuration
// `<port>`, as Istio's sidecars do: reached by the host (whatever port the
// Host header carries), with the VirtualService's routes. As in Istio's route building
// (pilot's BuildSidecarOutboundVirtualHosts and BuildSidecarVirtualHostWrapper),
// such a host goes into the route configuration of every port on which
// another host of the VirtualService names a service, and always into
// "80" (where one exists: a sidecar has it when some service serves HTTP
// on 80). svcs are the services with HTTP on the port; taken holds the
// domains already used in the table.
func (g *generator) nonRegistryVirtualHosts(port uint32, svcs []*model.Service, taken map[string]bool) []*routev3.VirtualHost {
	var out []*routev3.VirtualHost
	owner := map[string]*model.VirtualService{}
	onPortHosts := make(map[string]bool, len(svcs))
	for _, s := range svcs {
		onPortHosts[s.Hostname] = true
	}
	scope := g.scope()
	vss := g.m.VirtualServices
	if scope != nil {
		// A VirtualService the egress does not select has no host it
		// lists (egressHosts would keep none): only the selected count.
		vss = scope.virtualServices
	}
	for _, vs := range vss {
		if len(vs.Spec.HTTP) == 0 || !vs.ExportTo.VisibleTo(g.proxy.Namespace) || !model.Intersects(vs.Gateways, g.gateways) {
			continue
		}
		hosts, onPort := splitHosts(vs, svcs, onPortHosts)
		hosts = g.egressHosts(scope, vs, hosts)
		if len(hosts) == 0 || !onPort && port != defaults.NonRegistryHostPort {
			continue
		}
		var routes []*routev3.Route
		for _, h := range hosts {
			name := names.VirtualHost(strings.ToLower(h), port)
			if first := owner[name]; first != nil {
				g.problem(model.ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref}, "hosts",
					fmt.Sprintf("host %q is also bound by VirtualService %s, which is older; sidecars use only that one", h, first.Ref))
				continue
			}
			owner[name] = vs
			if routes == nil {
				routes, _ = g.vsRoutes(vs, port)
			}
			vh := &routev3.VirtualHost{Name: name, Domains: hostDomains(h, taken), Routes: routes}
			if len(vh.Domains) > 0 && len(vh.Routes) > 0 {
				out = append(out, vh)
			}
		}
	}
	return out
}

// splitHosts returns the VirtualService's hosts that name none of svcs (an
// exact host that is not one of them, a wildcard that matches none), and
// whether some other host does name one. hostnames are svcs' hostnames.
func splitHosts(vs *model.VirtualService, svcs []*model.Service, hostnames map[string]bool) ([]string, bool) {
	var out []string
	onPort := false
	for _, h := range vs.Hosts {
		matched := hostnames[h]
		if !matched && strings.HasPrefix(h, "*") {
			for _, s := range svcs {
				if model.HostMatches(h, s.Hostname) {
					matched = true
					break
				}
			}
		}
		if matched {
			onPort = true
		} else if h != "*" {
			out = append(out, h)
		}
	}
	return out, onPort
}

// hostDomains are a non-registry host's domains: the host, lower case as
// Envoy compares it, unless the table already has it.
func hostDomains(h string, taken map[string]bool) []string {
	return claim(nil, strings.ToLower(h), taken)
}
