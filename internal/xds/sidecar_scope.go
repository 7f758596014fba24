package xds

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// sidecarScope is what an Istio Sidecar leaves a sidecar proxy of its
// outbound configuration: the hosts its egress lists and, as Istio infers
// them, the destinations of the VirtualServices those hosts select (so a
// route in scope never points at a cluster the proxy lacks).
type sidecarScope struct {
	sidecar *model.Sidecar
	// hosts are the in-scope service hostnames.
	hosts map[string]bool
	// services are the in-scope hosts the model has, in m.Hostnames'
	// order; virtualServices those the egress selects, in precedence
	// order. Walks over the mesh's services or rules for a scoped proxy
	// take these instead of the whole model's.
	services        []string
	virtualServices []*model.VirtualService
}

// scope returns the proxy's Sidecar scope, computed once per translation;
// nil when no Sidecar applies (gateways, proxies of namespaces without
// one and no mesh default): every visible host is in scope.
func (g *generator) scope() *sidecarScope {
	if g.scoped {
		return g.sidecarScope
	}
	g.scoped = true
	sc := g.sidecar()
	if sc == nil {
		return nil
	}
	// Every outbound half under one Sidecar in one namespace has the same
	// scope, and a rules change asks for it in the model before and after:
	// it is computed once per model.
	key := scopeKey{sidecar: sc, namespace: g.proxy.Namespace, gateways: strings.Join(g.gateways, ",")}
	g.sidecarScope = g.m.Memo(key, func() any { return g.newScope(sc) }).(*sidecarScope)
	return g.sidecarScope
}

// scopeKey is the whole input of a scope besides the model.
type scopeKey struct {
	sidecar   *model.Sidecar
	namespace string
	gateways  string
}

func (g *generator) newScope(sc *model.Sidecar) *sidecarScope {
	s := &sidecarScope{sidecar: sc, hosts: map[string]bool{}}
	// The model's index proposes what the egress can match and Allows
	// decides (model/sidecar_scope.go): a scan of every service and
	// VirtualService per outbound half was most of a rules change's cost
	// in a mesh scoped by many Sidecars.
	for _, h := range g.m.AllowedHostnames(sc, g.proxy.Namespace) {
		s.hosts[h] = true
	}
	s.virtualServices = g.m.AllowedVirtualServices(sc, g.proxy.Namespace)
	for _, vs := range s.virtualServices {
		if vs.ExportTo.VisibleTo(g.proxy.Namespace) && model.Intersects(vs.Gateways, g.gateways) {
			for _, d := range destinationHosts(vs) {
				s.hosts[g.m.DestinationHost(d, vs.Ref.Namespace)] = true
			}
		}
	}
	for h := range s.hosts {
		if g.m.Services[h] != nil {
			s.services = append(s.services, h)
		}
	}
	slices.Sort(s.services) // m.Hostnames is sorted
	return s
}

// serviceInScope reports whether the proxy's Sidecar lets it reach svc.
func (g *generator) serviceInScope(svc *model.Service) bool {
	s := g.scope()
	return s == nil || s.hosts[svc.Hostname]
}

// virtualServiceInScope reports whether some host of vs is one the
// Sidecar's egress lists, for the VirtualService's namespace (Istio selects
// an egress listener's VirtualServices that way).
func (g *generator) virtualServiceInScope(s *sidecarScope, vs *model.VirtualService) bool {
	if s == nil {
		return true
	}
	for _, h := range vs.Hosts {
		if s.sidecar.Allows(g.proxy.Namespace, vs.Ref.Namespace, h) {
			return true
		}
	}
	return false
}

// registryOnly reports whether traffic to hosts the proxy does not know is
// dropped (outboundTrafficPolicy REGISTRY_ONLY) rather than forwarded.
func (g *generator) registryOnly() bool {
	if g.proxy.Type != names.Sidecar {
		return false
	}
	s := g.scope()
	if s == nil {
		return g.m.RegistryOnly(nil)
	}
	return g.m.RegistryOnly(s.sidecar)
}

// destinationHosts lists the hosts a VirtualService sends traffic to, as
// written (short names resolve in the VirtualService's namespace).
func destinationHosts(vs *model.VirtualService) []string {
	var out []string
	for _, r := range vs.Spec.HTTP {
		for _, d := range r.Route {
			out = append(out, d.Destination.Host)
		}
		if r.Mirror != nil {
			out = append(out, r.Mirror.Host)
		}
	}
	for _, r := range vs.Spec.TCP {
		for _, d := range r.Route {
			out = append(out, d.Destination.Host)
		}
	}
	for _, r := range vs.Spec.TLS {
		for _, d := range r.Route {
			out = append(out, d.Destination.Host)
		}
	}
	return out
}

// SidecarKey names the Sidecar that scopes the proxy ("" when none does):
// the part of the memoised outbound half's key that says which hosts and
// which outbound policy its translation read.
func SidecarKey(m *model.Model, p Proxy) string {
	if sc := sidecarOf(m, p); sc != nil {
		return sc.Ref.String()
	}
	return ""
}

// sidecarOf is the Sidecar that scopes p, nil for gateways and proxies
// no Sidecar selects.
func sidecarOf(m *model.Model, p Proxy) *model.Sidecar {
	if p.Type != names.Sidecar {
		return nil
	}
	return m.SidecarFor(p.Namespace, p.Labels)
}

// sidecar is the Sidecar that scopes the generator's proxy. A generator
// built from an outbound key takes the key's: the labels it sees are only
// those rules match sources on, which need not include those a Sidecar
// selects by.
func (g *generator) sidecar() *model.Sidecar {
	if !g.fromKey {
		return sidecarOf(g.m, g.proxy)
	}
	if g.proxy.Type != names.Sidecar || g.sidecarRef == (types.NamespacedName{}) {
		return nil
	}
	return g.m.SidecarNamed(g.sidecarRef)
}

// inScopeVirtualServices keeps those of vss the proxy's Sidecar selects.
func (g *generator) inScopeVirtualServices(vss []*model.VirtualService) []*model.VirtualService {
	s := g.scope()
	if s == nil {
		return vss
	}
	out := vss[:0:0]
	for _, vs := range vss {
		if g.virtualServiceInScope(s, vs) {
			out = append(out, vs)
		}
	}
	return out
}

// egressHosts keeps those of a VirtualService's non-registry hosts the
// proxy's Sidecar lists (all of them when no Sidecar applies).
func (g *generator) egressHosts(s *sidecarScope, vs *model.VirtualService, hosts []string) []string {
	if s == nil {
		return hosts
	}
	out := hosts[:0:0]
	for _, h := range hosts {
		if s.sidecar.Allows(g.proxy.Namespace, vs.Ref.Namespace, h) {
			out = append(out, h)
		}
	}
	return out
}
