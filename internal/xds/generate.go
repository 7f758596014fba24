package xds

import (
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// Generate builds the configuration of one proxy (or of every proxy of
// its group: the result depends only on what GroupKey captures plus the
// workload's ports).
//
// A gateway proxy (type router) gets its Gateways' listeners instead of a
// sidecar's capture listeners. Both get their tracing and access logs
// (WithTelemetry).
func Generate(m *model.Model, p Proxy) *Resources {
	if p.Type != names.Router {
		return WithTelemetry(m, p, Combine(GenerateOutbound(m, p), GenerateInbound(m, p)))
	}
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
