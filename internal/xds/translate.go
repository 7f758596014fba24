package xds

import (
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// Memo holds the parts of translations that proxies share, so that a
// reconcile translates each distinct part once. Each method returns the
// part stored under k, running translate to make it the first time.
type Memo interface {
	// Outbound is a sidecar's or a proxyless client's outbound half.
	Outbound(k OutboundInput, translate func() *Resources) *Resources
	// Group is the part of a proxy's configuration its group decides: a
	// sidecar's inbound half, a proxyless node's server listeners, a
	// gateway's whole configuration.
	Group(k GroupInput, translate func() *Resources) *Resources
}

// Translate is the configuration of proxy p, for every kind of proxy: a
// gateway (Type router) gets its Gateways' listeners, a proxyless gRPC
// node (Proxyless) what gRPC's xDS support reads, with mutual TLS when it
// holds certificates (CertProviders), and an Envoy sidecar its outbound
// and inbound halves with its telemetry.
//
// With a nil memo every part is translated and the result carries all
// problems found. With a memo the parts come from it, and each part's
// problems stay with the part, which the memo's owner reports once; the
// result carries none.
func Translate(m *model.Model, p Proxy, memo Memo) *Resources {
	if memo == nil {
		return translate(m, p, unmemoised{})
	}
	r := *translate(m, p, memo)
	r.Problems = nil
	return &r
}

func translate(m *model.Model, p Proxy, memo Memo) *Resources {
	switch {
	case p.Type == names.Router:
		return memo.Group(GroupOf(p), func() *Resources { return generateGateway(m, p) })
	case p.Proxyless:
		k := OutboundOf(m, p)
		out := memo.Outbound(k, func() *Resources { return proxylessOutbound(m, k) })
		in := memo.Group(GroupOf(p), func() *Resources { return GenerateProxylessInbound(m, p) })
		return Combine(out, in)
	default:
		k := OutboundOf(m, p)
		out := memo.Outbound(k, func() *Resources { return generateOutbound(m, k) })
		in := memo.Group(GroupOf(p), func() *Resources { return GenerateInbound(m, p) })
		return WithTelemetry(m, p, Combine(out, in))
	}
}

// unmemoised translates every part.
type unmemoised struct{}

func (unmemoised) Outbound(_ OutboundInput, translate func() *Resources) *Resources {
	return translate()
}

func (unmemoised) Group(_ GroupInput, translate func() *Resources) *Resources { return translate() }
