// Package meshconfig reads Istio's mesh configuration: the MeshConfig YAML
// under key "mesh" of ConfigMap "istio" in the control plane's namespace.
// It parses into Istio's own proto (istio.io/api mesh/v1alpha1), so every
// field an Istio user writes has the name and meaning Istio gives it, fills
// in Istio's defaults for what the user left out, and lists the fields
// sailplane parses but does not act on, so none is ignored silently.
//
// It is pure: text in, a Config out.
package meshconfig

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/defaults"
)

// ConfigMapName and ConfigMapKey locate the mesh configuration, as in Istio.
const (
	ConfigMapName = "istio"
	ConfigMapKey  = "mesh"
)

// Config is one mesh configuration with Istio's defaults applied.
type Config struct {
	// Mesh is the parsed configuration; never nil. Read it through the
	// accessors where one exists, so defaults are applied in one place.
	Mesh *meshv1alpha1.MeshConfig
	// Source names where it came from ("ConfigMap sailplane-system/istio"),
	// or is empty for the built-in defaults.
	Source string
	// Problems are fields that were parsed but that sailplane does not
	// honour, each by its path in the MeshConfig.
	Problems []Problem

	// trustDomainSet says the document sets trustDomain (not the default).
	trustDomainSet bool
	// rateLimitProviders are from the "sailplane" key (extensions.go).
	rateLimitProviders []RateLimitProvider
}

// Problem is one field of the mesh configuration and why it has no effect.
type Problem struct {
	Field  string
	Reason string
}

func (p Problem) String() string { return p.Field + ": " + p.Reason }

// Default is the configuration of a mesh without ConfigMap "istio".
func Default() *Config {
	c, err := Parse("", "")
	if err != nil {
		panic(err) // the empty document always parses
	}
	return c
}

// Parse reads MeshConfig YAML (the "mesh" key's value). An unknown field,
// a wrong type or a malformed document is an error naming the field; a
// field sailplane does not honour is a Problem, not an error.
func Parse(source, text string) (*Config, error) {
	raw, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return nil, fmt.Errorf("%s: key %q: %w", describe(source), ConfigMapKey, err)
	}
	if string(raw) == "null" {
		raw = []byte("{}")
	}
	var present map[string]any
	if err := json.Unmarshal(raw, &present); err != nil {
		return nil, fmt.Errorf("%s: key %q: the mesh configuration must be a YAML mapping: %w", describe(source), ConfigMapKey, err)
	}
	m := &meshv1alpha1.MeshConfig{}
	if err := protojson.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("%s: key %q: %w", describe(source), ConfigMapKey, err)
	}
	applyDefaults(m, present)
	c := &Config{Mesh: m, Source: source, trustDomainSet: has(present, "trustDomain")}
	c.Problems = notHonoured(m)
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: key %q: %w", describe(source), ConfigMapKey, err)
	}
	return c, nil
}

func describe(source string) string {
	if source == "" {
		return "mesh configuration"
	}
	return source
}

// OrDefault returns c, or the default configuration when c is nil.
func (c *Config) OrDefault() *Config {
	if c == nil {
		return Default()
	}
	return c
}

// TrustDomain is meshConfig.trustDomain (default cluster.local).
func (c *Config) TrustDomain() string {
	if c == nil || c.Mesh.GetTrustDomain() == "" {
		return defaults.TrustDomain
	}
	return c.Mesh.GetTrustDomain()
}

// ExplicitTrustDomain is meshConfig.trustDomain when the configuration
// sets it: the mesh configuration then wins over sailplane's
// --trust-domain flag, as Istio users expect.
func (c *Config) ExplicitTrustDomain() (string, bool) {
	if c == nil || !c.trustDomainSet {
		return "", false
	}
	return c.Mesh.GetTrustDomain(), true
}

// RootNamespace is meshConfig.rootNamespace (default istio-system): the
// namespace whose configuration applies mesh-wide.
func (c *Config) RootNamespace() string {
	if c == nil || c.Mesh.GetRootNamespace() == "" {
		return defaults.RootNamespace
	}
	return c.Mesh.GetRootNamespace()
}

// OutboundTrafficPolicy is meshConfig.outboundTrafficPolicy.mode (default
// ALLOW_ANY).
func (c *Config) OutboundTrafficPolicy() meshv1alpha1.MeshConfig_OutboundTrafficPolicy_Mode {
	if c == nil {
		return meshv1alpha1.MeshConfig_OutboundTrafficPolicy_ALLOW_ANY
	}
	return c.Mesh.GetOutboundTrafficPolicy().GetMode()
}

// ExtensionProvider returns the provider of that name, or nil.
func (c *Config) ExtensionProvider(name string) *meshv1alpha1.MeshConfig_ExtensionProvider {
	if c == nil {
		return nil
	}
	for _, p := range c.Mesh.GetExtensionProviders() {
		if p.GetName() == name {
			return p
		}
	}
	return nil
}

// ExtensionProviders lists every provider in the order written.
func (c *Config) ExtensionProviders() []*meshv1alpha1.MeshConfig_ExtensionProvider {
	if c == nil {
		return nil
	}
	return c.Mesh.GetExtensionProviders()
}

// EnableTracing is meshConfig.enableTracing (default true). Istio traces
// only through a provider: with none configured nothing is traced.
func (c *Config) EnableTracing() bool {
	return c == nil || c.Mesh.GetEnableTracing()
}

// TracingSampling is meshConfig.defaultConfig.tracing.sampling in per cent
// (default 1).
func (c *Config) TracingSampling() float64 {
	if c == nil {
		return defaults.TracingSampling
	}
	return c.Mesh.GetDefaultConfig().GetTracing().GetSampling()
}
