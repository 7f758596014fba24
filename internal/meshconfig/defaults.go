package meshconfig

import (
	"strings"
	"unicode"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"

	"github.com/sailplane/sailplane/internal/defaults"
)

// applyDefaults fills in Istio's defaults for the fields sailplane reads
// and the user left out. Presence is judged on the document, not the
// proto: proto3 cannot tell "enableTracing: false" from no enableTracing,
// and Istio's default there is true.
func applyDefaults(m *meshv1alpha1.MeshConfig, present map[string]any) {
	if !has(present, "enableTracing") {
		m.EnableTracing = true
	}
	if m.TrustDomain == "" {
		m.TrustDomain = defaults.TrustDomain
	}
	if m.RootNamespace == "" {
		m.RootNamespace = defaults.RootNamespace
	}
	if m.OutboundTrafficPolicy == nil || !has(present, "outboundTrafficPolicy", "mode") {
		// REGISTRY_ONLY is the enum's zero value; Istio's default is
		// ALLOW_ANY.
		m.OutboundTrafficPolicy = &meshv1alpha1.MeshConfig_OutboundTrafficPolicy{Mode: meshv1alpha1.MeshConfig_OutboundTrafficPolicy_ALLOW_ANY}
	}
	if m.DefaultConfig == nil {
		m.DefaultConfig = &meshv1alpha1.ProxyConfig{}
	}
	if m.DefaultConfig.Tracing == nil {
		m.DefaultConfig.Tracing = &meshv1alpha1.Tracing{}
	}
	if !has(present, "defaultConfig", "tracing", "sampling") {
		m.DefaultConfig.Tracing.Sampling = defaults.TracingSampling
	}
	if m.DefaultProviders == nil {
		m.DefaultProviders = &meshv1alpha1.MeshConfig_DefaultProviders{}
	}
}

// has reports whether the document sets the nested key, written in JSON
// (camelCase) or proto (snake_case) form: protojson accepts both.
func has(doc map[string]any, path ...string) bool {
	var cur any = doc
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		v, ok := m[k]
		if !ok {
			v, ok = m[snake(k)]
		}
		if !ok {
			return false
		}
		cur = v
	}
	return true
}

// snake turns a JSON field name into its proto name ("enableTracing" to
// "enable_tracing").
func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
