package route

import (
	"slices"
	"strings"

	"github.com/sailplane/sailplane/internal/defaults"
)

const meshGateway = defaults.MeshGateway

// applies says whether every condition holds for this proxy on this port.
// These are properties of the proxy, not of the request, so they are decided
// here and a condition that does not hold produces no route at all.
func (b *builder) applies(cs []cond) bool {
	for i := range cs {
		if !b.condApplies(&cs[i]) {
			return false
		}
	}
	return true
}

func (b *builder) condApplies(c *cond) bool {
	m := &c.m
	if m.Port != 0 && b.p.Port != 0 && uint32(m.Port) != b.p.Port {
		return false
	}
	if m.SourceNamespace != "" && m.SourceNamespace != b.p.Proxy.Namespace {
		return false
	}
	for k, v := range m.SourceLabels {
		if got, ok := b.p.Proxy.Labels[k]; !ok || got != v {
			return false
		}
	}
	// Gateways named by the match replace the VirtualService's.
	gateways := c.gateways
	if len(m.Gateways) > 0 {
		gateways = qualifyGateways(c.at.obj.Namespace, m.Gateways)
	}
	if gateways == nil {
		return true
	}
	return slices.ContainsFunc(gateways, func(g string) bool { return slices.Contains(b.p.Proxy.Gateways, g) })
}

// qualifyGateways writes gateway references as "ns/name" (or "mesh") the way
// Istio resolves them: "name" and "./name" are in the referring object's
// namespace, and the legacy "name.ns.svc.<domain>" form is ns/name.
func qualifyGateways(ns string, gateways []string) []string {
	var out []string
	for _, g := range gateways {
		switch {
		case g == meshGateway:
		case strings.HasPrefix(g, "./"):
			g = ns + "/" + strings.TrimPrefix(g, "./")
		case strings.Contains(g, "/"):
		case strings.Contains(g, "."):
			parts := strings.SplitN(g, ".", 3)
			g = parts[1] + "/" + parts[0]
		default:
			g = ns + "/" + g
		}
		out = append(out, g)
	}
	return out
}
