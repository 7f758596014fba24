package xds

import (
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/model"
)

// A sidecar's configuration has two halves with different keys. The
// outbound half (capture listener, HTTP and TCP listeners, routes, clusters,
// endpoints) depends on what the proxy's namespace can see and on the few
// labels rules select sources by; the inbound half depends on the workload's
// own ports. Computing the outbound half once per OutboundKey, and not once
// per distinct set of pod labels, is what keeps translation and memory
// proportional to namespaces rather than to Deployments.

// OutboundKey identifies proxies whose outbound configuration is the same:
// kind, namespace, and only those labels some rule matches sources on.
func OutboundKey(m *model.Model, p Proxy) string {
	var b strings.Builder
	b.WriteString(string(p.Type))
	b.WriteString("|")
	b.WriteString(p.Namespace)
	for _, k := range m.SourceLabelKeys {
		if v, ok := p.Labels[k]; ok {
			b.WriteString("|" + k + "=" + v)
		}
	}
	return b.String()
}

// GenerateOutbound builds a sidecar's outbound half.
func GenerateOutbound(m *model.Model, p Proxy) *Resources {
	g := &generator{m: m, proxy: p, out: &Resources{}}
	g.gateways = p.gatewayNames(m)
	g.specialClusters()
	g.outboundClusters()
	g.virtualOutbound()
	g.outboundListeners()
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
	g.validate()
	g.out.sort()
	return g.out
}

// Combine joins the two halves into one proxy's resources, sorted by name.
// The protos are shared, not copied: many proxies' configurations point at
// the same outbound resources.
func Combine(out, in *Resources) *Resources {
	r := &Resources{
		Listeners: append(append(make([]*listenerv3.Listener, 0, len(out.Listeners)+len(in.Listeners)), out.Listeners...), in.Listeners...),
		Routes:    append(append(make([]*routev3.RouteConfiguration, 0, len(out.Routes)+len(in.Routes)), out.Routes...), in.Routes...),
		Clusters:  append(append(make([]*clusterv3.Cluster, 0, len(out.Clusters)+len(in.Clusters)), out.Clusters...), in.Clusters...),
		Endpoints: append(append(make([]*endpointv3.ClusterLoadAssignment, 0, len(out.Endpoints)+len(in.Endpoints)), out.Endpoints...), in.Endpoints...),
		Secrets:   append(append(make([]*tlsv3.Secret, 0, len(out.Secrets)+len(in.Secrets)), out.Secrets...), in.Secrets...),
		Problems:  append(append([]ObjectProblem(nil), out.Problems...), in.Problems...),
	}
	r.sort()
	return r
}
