package meshconfig

import (
	"encoding/json"
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

// defaultProviderProblems reports default providers sailplane cannot use
// as such, and a JSON access log format that is not a JSON object.
func defaultProviderProblems(m *meshv1alpha1.MeshConfig) []Problem {
	var out []Problem
	dp := m.GetDefaultProviders()
	if len(dp.GetTracing()) > 1 {
		out = append(out, Problem{Field: "defaultProviders.tracing", Reason: fmt.Sprintf("Envoy takes one tracer per proxy: %q is used, the rest are not", dp.GetTracing()[0])})
	}
	kinds := func(field string, names []string, want ...string) {
		for _, name := range names {
			p := providerNamed(m, name)
			if p == nil {
				continue // refused by check, or Istio's built-in "envoy"
			}
			if k := providerKind(p); !contains(want, k) {
				out = append(out, Problem{Field: field, Reason: fmt.Sprintf("provider %q is of kind %s, not one of %v; it is not used", name, k, want)})
			}
		}
	}
	kinds("defaultProviders.tracing", dp.GetTracing(), "zipkin", "opentelemetry")
	kinds("defaultProviders.accessLogging", dp.GetAccessLogging(), "envoyFileAccessLog", "envoyOtelAls")
	if f := m.GetAccessLogFormat(); f != "" && m.GetAccessLogEncoding() == meshv1alpha1.MeshConfig_JSON {
		var fields map[string]any
		if err := json.Unmarshal([]byte(f), &fields); err != nil {
			out = append(out, Problem{Field: "accessLogFormat", Reason: fmt.Sprintf("with accessLogEncoding JSON it must be a JSON object of fields (%v); Istio's JSON format is used", err)})
		}
	}
	return out
}

func providerNamed(m *meshv1alpha1.MeshConfig, name string) *meshv1alpha1.MeshConfig_ExtensionProvider {
	for _, p := range m.GetExtensionProviders() {
		if p.GetName() == name {
			return p
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
