package xds

import "github.com/sailplane/sailplane/internal/model"

// OutboundRoutes is the part of a sidecar's outbound half that its
// VirtualServices decide: the route configurations and the listeners
// outboundListeners builds (every outbound listener but virtualOutbound,
// which only knows the outbound traffic policy), validated as
// GenerateOutbound validates them, sorted. The rest of the half (clusters,
// their load assignments and secrets) does not read VirtualServices, except
// for the no-endpoint clusters of destinations the proxy cannot see, which
// follow from the clusters the routes send to (ReferencedClusters): a
// caller that keeps the rest checks those are the same.
func OutboundRoutes(m *model.Model, p Proxy) *Resources {
	p.Proxyless, p.CertProviders = false, false
	g := outboundGenerator(m, OutboundOf(m, p))
	g.outboundListeners()
	g.validate()
	g.out.sort()
	return g.out
}

// ReferencedClusters is the set of clusters r's routes and TCP proxies
// send to.
func ReferencedClusters(r *Resources) map[string]bool {
	return (&generator{out: r}).referencedClusters()
}

// OutboundScope is the set of hosts a sidecar's Sidecar resource leaves in
// scope, nil when none applies. It is the one input of the outbound
// clusters that VirtualServices reach (the destinations of in-scope
// VirtualServices join the scope, see sidecarScope), so a caller keeping
// the clusters across a VirtualService change checks it is the same.
func OutboundScope(m *model.Model, p Proxy) map[string]bool {
	g := outboundGenerator(m, OutboundOf(m, p))
	if s := g.scope(); s != nil {
		return s.hosts
	}
	return nil
}
