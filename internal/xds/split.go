package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/model"
)

// GenerateOutbound builds an Envoy sidecar's outbound half (of p as an
// Envoy, whatever its Proxyless says).
func GenerateOutbound(m *model.Model, p Proxy) *Resources {
	p.Proxyless, p.CertProviders = false, false
	return generateOutbound(m, OutboundOf(m, p))
}

func generateOutbound(m *model.Model, k OutboundInput) *Resources {
	g := outboundGenerator(m, k)
	g.specialClusters()
	g.outboundClusters()
	g.virtualOutbound()
	g.outboundListeners()
	g.unresolvedClusters()
	g.clusterSecrets()
	g.validate()
	g.pruneSecrets()
	g.out.sort()
	return g.out
}

// GenerateInbound builds a sidecar's inbound half: virtualInbound and the
// inbound clusters of the workload's ports.
func GenerateInbound(m *model.Model, p Proxy) *Resources {
	g := &generator{m: m, proxy: p, out: &Resources{}}
	inbound := g.inboundPorts()
	g.inboundClusters(inbound)
	g.virtualInbound(inbound)
	g.jwksClusters()
	g.authorize(g.out.Listeners)
	g.rateLimit(g.out.Listeners)
	g.validate()
	g.out.sort()
	return g.out
}

// Combine joins the two halves into one proxy's resources, sorted by name.
// The protos are shared, not copied: many proxies' configurations point at
// the same outbound resources. Both halves come sorted, so a merge keeps
// the order in time linear in their size (there is one Combine per group).
func Combine(out, in *Resources) *Resources {
	name := func(n interface{ GetName() string }) string { return n.GetName() }
	return &Resources{
		Listeners: mergeSorted(out.Listeners, in.Listeners, func(l *listenerv3.Listener) string { return name(l) }),
		Routes:    mergeSorted(out.Routes, in.Routes, func(r *routev3.RouteConfiguration) string { return name(r) }),
		Clusters:  mergeSorted(out.Clusters, in.Clusters, func(c *clusterv3.Cluster) string { return name(c) }),
		Endpoints: mergeSorted(out.Endpoints, in.Endpoints, func(e *endpointv3.ClusterLoadAssignment) string { return e.ClusterName }),
		Secrets:   mergeSorted(out.Secrets, in.Secrets, func(s *tlsv3.Secret) string { return name(s) }),
		Problems:  append(append([]ObjectProblem(nil), out.Problems...), in.Problems...),
	}
}

// mergeSorted merges two lists sorted by key; on equal keys a's element
// comes first, as a stable sort of a then b would place it. When one list
// is empty the other is returned as it is, capped so that an append
// reallocates: groups then share the outbound half's lists (load
// assignments and route tables have no inbound part), and the snapshot
// builder recognises a list it has seen and converts it once.
func mergeSorted[T any](a, b []T, key func(T) string) []T {
	switch {
	case len(b) == 0:
		return a[:len(a):len(a)]
	case len(a) == 0:
		return b[:len(b):len(b)]
	}
	out := make([]T, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if key(b[0]) < key(a[0]) {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}
