package xds

import (
	"github.com/sailplane/sailplane/internal/model"
)

// Generate builds the configuration of one proxy (or of every proxy of
// its group: the result depends only on what GroupKey captures plus the
// workload's ports).
func Generate(m *model.Model, p Proxy) *Resources {
	g := &generator{m: m, proxy: p, out: &Resources{}}
	g.gateways = p.gatewayNames(m)
	g.specialClusters()
	g.outboundClusters()
	g.virtualOutbound()
	g.outboundListeners()
	inbound := g.inboundPorts()
	g.inboundClusters(inbound)
	g.virtualInbound(inbound)
	g.validate()
	g.out.sort()
	return g.out
}
