// Package xds translates the mesh model into one proxy's Envoy
// configuration: listeners, route configurations, clusters and endpoints,
// under Istio's names. It is pure: the model and a proxy in, protos out,
// with every problem recorded against the Istio object that caused it.
package xds

import (
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// Proxy is the part of a pod the configuration depends on.
type Proxy struct {
	Type      names.ProxyType
	Namespace string
	Labels    map[string]string
	// IP is not part of the configuration (sidecar listeners match on
	// ports, not addresses); it is kept for logs and config dumps.
	IP string
	// Workload is the pod, when known; it decides inbound ports.
	Workload *model.Workload
	// Locality is where the proxy runs ("region/zone/subzone", see
	// model.Locality): locality load balancing orders endpoints by it.
	Locality model.Locality
	// CertProviders says a proxyless gRPC node holds a workload
	// certificate of its own, in files its bootstrap's certificate
	// provider instance names (names.GRPCCertProviderInstance): it proved
	// an identity on the authenticated xDS port. Only then does its
	// configuration ask for mutual TLS (proxyless_mtls.go).
	CertProviders bool
	// Proxyless says the node is a proxyless gRPC client or server (node
	// metadata GENERATOR: grpc), not an Envoy: Translate gives it what
	// gRPC's xDS support reads.
	Proxyless bool
}

// gatewayNames returns the gateway names the proxy answers to: "mesh" for
// sidecars; for gateway proxies, every Gateway whose selector matches.
func (p Proxy) gatewayNames(m *model.Model) []string {
	if p.Type == names.Sidecar {
		return []string{defaults.MeshGateway}
	}
	var out []string
	for _, gw := range m.Gateways {
		if selects(gw.Spec.Selector, p.Labels) {
			out = append(out, gw.Namespace+"/"+gw.Name)
		}
	}
	return out
}

func selects(selector, labels map[string]string) bool { return model.SelectsLabels(selector, labels) }
