package xds

import (
	"fmt"

	"github.com/sailplane/sailplane/internal/model"
)

// reportProxylessLimits names, in status, the VirtualService and
// DestinationRule fields that proxyless gRPC clients ignore or cannot use.
func (g *generator) reportProxylessLimits() {
	const why = "does not apply to proxyless gRPC clients"
	for _, svc := range g.visibleServices() {
		for _, vs := range g.sidecarVirtualServices(svc.Hostname) {
			ref := model.ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref}
			for i, r := range vs.Spec.HTTP {
				at := func(f string) string { return fmt.Sprintf("http[%d].%s", i, f) }
				if r.CorsPolicy != nil {
					g.problem(ref, at("corsPolicy"), why)
				}
				if r.Mirror != nil || len(r.Mirrors) > 0 {
					g.problem(ref, at("mirror"), why)
				}
				if r.Rewrite != nil {
					g.problem(ref, at("rewrite"), why)
				}
				if r.Redirect != nil {
					g.problem(ref, at("redirect"), why+": the call fails")
				}
				if r.DirectResponse != nil {
					g.problem(ref, at("directResponse"), why+": the call fails")
				}
			}
			if len(vs.Spec.TCP) > 0 || len(vs.Spec.TLS) > 0 {
				g.problem(ref, "tcp/tls", why)
			}
		}
		if dr := g.m.DestinationRuleFor(g.proxy.Namespace, g.proxy.Labels, svc); dr != nil && dr.Spec.TrafficPolicy != nil && dr.Spec.TrafficPolicy.TLS != nil {
			// ISTIO_MUTUAL comes from the client's certificate providers
			// (grpcTransport); files and credentialName do not exist there.
			if m := dr.Spec.TrafficPolicy.TLS.Mode; m != "ISTIO_MUTUAL" && m != "DISABLE" && m != "" {
				g.problem(model.ObjectRef{Kind: "DestinationRule", NamespacedName: dr.Ref}, "trafficPolicy.tls.mode", why+": "+m+" needs certificates gRPC clients cannot be given; they connect in plaintext")
			}
		}
	}
}
