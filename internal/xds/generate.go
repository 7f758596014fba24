package xds

import (
	"github.com/sailplane/sailplane/internal/model"
)

// Generate is Translate without a memo: the configuration of one proxy
// (or of every proxy of its group), with every problem found.
func Generate(m *model.Model, p Proxy) *Resources { return Translate(m, p, nil) }

// generateGateway builds a gateway proxy's configuration: its Gateways'
// listeners instead of a sidecar's capture listeners, with its tracing
// and access logs (WithTelemetry).
func generateGateway(m *model.Model, p Proxy) *Resources {
	g := &generator{m: m, proxy: p, out: &Resources{}}
	g.gateways = p.gatewayNames(m)
	g.gatewayConfig()
	g.jwksClusters()
	g.authorize(g.out.Listeners)
	g.rateLimit(g.out.Listeners)
	g.unresolvedClusters()
	g.clusterSecrets()
	g.validate()
	g.pruneSecrets()
	g.out.sort()
	return WithTelemetry(m, p, g.out)
}
