package meshconfig

import (
	"fmt"
	"strings"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

// check refuses what Istio's validation refuses in the fields sailplane
// reads: a provider without a name or a duplicate name, a tracing or log
// service provider without service or port, a sampling rate outside
// 0..100.
func (c *Config) check() error {
	m := c.Mesh
	if s := m.GetDefaultConfig().GetTracing().GetSampling(); s < 0 || s > 100 {
		return fmt.Errorf("defaultConfig.tracing.sampling: %v is not a percentage between 0 and 100", s)
	}
	seen := map[string]bool{}
	for i, p := range m.GetExtensionProviders() {
		field := fmt.Sprintf("extensionProviders[%d]", i)
		if p.GetName() == "" {
			return fmt.Errorf("%s.name: required", field)
		}
		if seen[p.GetName()] {
			return fmt.Errorf("%s.name: provider %q is defined twice", field, p.GetName())
		}
		seen[p.GetName()] = true
		if err := checkService(p); err != nil {
			return fmt.Errorf("%s (%s).%s: %w", field, p.GetName(), providerKind(p), err)
		}
	}
	var missing []string
	dp := m.GetDefaultProviders()
	for _, list := range [][]string{dp.GetTracing(), dp.GetAccessLogging()} {
		for _, name := range list {
			if !seen[name] && name != EnvoyProvider {
				missing = append(missing, name)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("defaultProviders: no extensionProvider named %s", strings.Join(missing, ", "))
	}
	return nil
}

// EnvoyProvider is the provider name Istio's default installation gives
// the stdout file access log; Istio treats it as built in.
const EnvoyProvider = "envoy"

// checkService requires service and port of the providers that send to
// one.
func checkService(p *meshv1alpha1.MeshConfig_ExtensionProvider) error {
	var service string
	var port uint32
	switch {
	case p.GetZipkin() != nil:
		service, port = p.GetZipkin().GetService(), p.GetZipkin().GetPort()
	case p.GetOpentelemetry() != nil:
		service, port = p.GetOpentelemetry().GetService(), p.GetOpentelemetry().GetPort()
	case p.GetEnvoyOtelAls() != nil:
		service, port = p.GetEnvoyOtelAls().GetService(), p.GetEnvoyOtelAls().GetPort()
	default:
		return nil
	}
	if service == "" {
		return fmt.Errorf("service: required")
	}
	if port == 0 || port > 65535 {
		return fmt.Errorf("port: %d is not a port number", port)
	}
	return nil
}
