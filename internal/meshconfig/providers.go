package meshconfig

import (
	"fmt"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

// providerProblems lists the parts of translated providers that sailplane
// cannot give Envoy as Istio would.
func providerProblems(m *meshv1alpha1.MeshConfig) []Problem {
	var out []Problem
	for i, p := range m.GetExtensionProviders() {
		field := fmt.Sprintf("extensionProviders[%d] (%s)", i, p.GetName())
		if z := p.GetZipkin(); z != nil {
			if len(z.GetHeaders()) > 0 {
				out = append(out, Problem{Field: field + ".zipkin.headers", Reason: "not honoured: Envoy's Zipkin tracer sends no extra headers"})
			}
			if z.GetTimeout() != nil {
				out = append(out, Problem{Field: field + ".zipkin.timeout", Reason: "applies only as the collector cluster's connect timeout: Envoy's Zipkin tracer has no request timeout"})
			}
		}
		if o := p.GetOpentelemetry(); o != nil {
			out = append(out, envHeaders(field+".opentelemetry.http.headers", o.GetHttp().GetHeaders())...)
			out = append(out, envHeaders(field+".opentelemetry.grpc.initialMetadata", o.GetGrpc().GetInitialMetadata())...)
			if o.GetResourceDetectors() != nil {
				out = append(out, Problem{Field: field + ".opentelemetry.resourceDetectors", Reason: "parsed but not honoured by sailplane"})
			}
		}
	}
	return out
}

// envHeaders reports headers whose value comes from the proxy's
// environment (envName): the control plane cannot read it.
func envHeaders(field string, hs []*meshv1alpha1.MeshConfig_ExtensionProvider_HttpHeader) []Problem {
	var out []Problem
	for j, h := range hs {
		if h.GetEnvName() != "" {
			out = append(out, Problem{Field: fmt.Sprintf("%s[%d].envName", field, j), Reason: "not honoured: the value of an environment variable of the proxy is not known to the control plane; use value"})
		}
	}
	return out
}
