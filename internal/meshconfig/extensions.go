package meshconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/defaults"
)

// ExtensionsKey is the ConfigMap "istio" key of sailplane's own mesh
// settings, those Istio's MeshConfig has no field for. The "mesh" key
// stays Istio's, parsed as Istio parses it.
const ExtensionsKey = "sailplane"

// RateLimitProvider is a global rate limit service (Envoy's
// envoy.service.ratelimit.v3 gRPC API) that RateLimitPolicy rules name.
type RateLimitProvider struct {
	Name string
	// Service is the service's host name
	// (ratelimit.ratelimit.svc.cluster.local) and Port its gRPC port.
	Service string
	Port    uint32
	// Domain is the domain Envoy puts in every request to the service.
	Domain string
	// Timeout bounds each call to the service.
	Timeout time.Duration
	// FailureModeDeny refuses requests when the service cannot be
	// reached; by default they are let through.
	FailureModeDeny bool
}

// extensionsDoc is the "sailplane" key as written.
type extensionsDoc struct {
	RateLimitProviders []rateLimitProviderDoc `json:"rateLimitProviders"`
}

type rateLimitProviderDoc struct {
	Name            string `json:"name"`
	Service         string `json:"service"`
	Port            uint32 `json:"port"`
	Domain          string `json:"domain"`
	Timeout         string `json:"timeout"`
	FailureModeDeny bool   `json:"failureModeDeny"`
}

// ParseExtensions reads the "sailplane" key's YAML into c. A field
// sailplane does not know is refused by name (a misspelt
// failureModeDeny must not silently let traffic through), as is a
// provider without name, service, port or domain, or one defined twice.
func (c *Config) ParseExtensions(text string) error {
	providers, err := parseExtensions(text)
	if err != nil {
		return fmt.Errorf("%s: key %q: %w", describe(c.Source), ExtensionsKey, err)
	}
	c.rateLimitProviders = providers
	return nil
}

func parseExtensions(text string) ([]RateLimitProvider, error) {
	raw, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return nil, err
	}
	if s := strings.TrimSpace(string(raw)); s == "null" || s == "" {
		return nil, nil
	}
	var doc extensionsDoc
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var out []RateLimitProvider
	seen := map[string]bool{}
	for i, d := range doc.RateLimitProviders {
		p, err := readRateLimitProvider(d, seen)
		if err != nil {
			return nil, fmt.Errorf("rateLimitProviders[%d].%w", i, err)
		}
		seen[p.Name] = true
		out = append(out, p)
	}
	return out, nil
}

// readRateLimitProvider checks one provider and fills in the defaults;
// its errors start with the field's name.
func readRateLimitProvider(d rateLimitProviderDoc, seen map[string]bool) (RateLimitProvider, error) {
	p := RateLimitProvider{
		Name: d.Name, Service: d.Service, Port: d.Port, Domain: d.Domain,
		Timeout: defaults.RateLimitServiceTimeout, FailureModeDeny: d.FailureModeDeny,
	}
	switch {
	case d.Name == "":
		return p, fmt.Errorf("name: required")
	case seen[d.Name]:
		return p, fmt.Errorf("name: provider %q is defined twice", d.Name)
	case d.Service == "":
		return p, fmt.Errorf("service: required")
	case len(validation.IsDNS1123Subdomain(d.Service)) > 0:
		return p, fmt.Errorf("service: %q is not a host name: %s", d.Service, strings.Join(validation.IsDNS1123Subdomain(d.Service), "; "))
	case d.Port == 0 || d.Port > 65535:
		return p, fmt.Errorf("port: %d is not a port number", d.Port)
	case d.Domain == "":
		return p, fmt.Errorf("domain: required (the rate limit service's configuration is chosen by it)")
	}
	if d.Timeout != "" {
		t, err := time.ParseDuration(d.Timeout)
		if err != nil || t <= 0 {
			return p, fmt.Errorf("timeout: %q is not a positive duration such as 20ms", d.Timeout)
		}
		p.Timeout = t
	}
	return p, nil
}

// RateLimitProvider returns the global rate limit provider of that
// name, or nil.
func (c *Config) RateLimitProvider(name string) *RateLimitProvider {
	if c == nil {
		return nil
	}
	for i := range c.rateLimitProviders {
		if c.rateLimitProviders[i].Name == name {
			return &c.rateLimitProviders[i]
		}
	}
	return nil
}

// RateLimitProviders lists the global rate limit providers in the order
// written.
func (c *Config) RateLimitProviders() []RateLimitProvider {
	if c == nil {
		return nil
	}
	return c.rateLimitProviders
}
