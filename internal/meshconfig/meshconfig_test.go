package meshconfig

import (
	"strings"
	"testing"

	meshv1alpha1 "istio.io/api/mesh/v1alpha1"
)

func TestDefaultsAreIstios(t *testing.T) {
	c := Default()
	if !c.EnableTracing() {
		t.Error("enableTracing: want Istio's default true")
	}
	if got := c.TracingSampling(); got != 1 {
		t.Errorf("sampling = %v, want 1", got)
	}
	if got := c.TrustDomain(); got != "cluster.local" {
		t.Errorf("trustDomain = %q", got)
	}
	if got := c.RootNamespace(); got != "istio-system" {
		t.Errorf("rootNamespace = %q", got)
	}
	if got := c.OutboundTrafficPolicy(); got != meshv1alpha1.MeshConfig_OutboundTrafficPolicy_ALLOW_ANY {
		t.Errorf("outboundTrafficPolicy = %v", got)
	}
	if got := c.Mesh.GetAccessLogEncoding(); got != meshv1alpha1.MeshConfig_TEXT {
		t.Errorf("accessLogEncoding = %v", got)
	}
	if len(c.Problems) != 0 {
		t.Errorf("problems of the defaults: %v", c.Problems)
	}
	var nilConfig *Config
	if nilConfig.TrustDomain() != "cluster.local" || !nilConfig.EnableTracing() || nilConfig.TracingSampling() != 1 {
		t.Error("a nil Config must read as the defaults")
	}
}

func TestParseKeepsExplicitZeroValues(t *testing.T) {
	c, err := Parse("test", `
enableTracing: false
defaultConfig:
  tracing:
    sampling: 0
outboundTrafficPolicy:
  mode: REGISTRY_ONLY
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.EnableTracing() {
		t.Error("enableTracing: false was overridden by the default")
	}
	if c.TracingSampling() != 0 {
		t.Errorf("sampling 0 became %v", c.TracingSampling())
	}
	if c.OutboundTrafficPolicy() != meshv1alpha1.MeshConfig_OutboundTrafficPolicy_REGISTRY_ONLY {
		t.Error("REGISTRY_ONLY lost")
	}
	if hasProblem(c, "outboundTrafficPolicy.mode") {
		t.Errorf("REGISTRY_ONLY is honoured (the Sidecars' default) and must not be reported: %v", c.Problems)
	}
}

func TestParseReadsProviders(t *testing.T) {
	c, err := Parse("ConfigMap sailplane-system/istio", `
accessLogFile: /dev/stdout
accessLogEncoding: JSON
trustDomain: example.org
rootNamespace: mesh-root
defaultProviders:
  tracing: [otel]
extensionProviders:
- name: zipkin
  zipkin: {service: zipkin.istio-system.svc.cluster.local, port: 9411}
- name: otel
  opentelemetry: {service: otel.observability.svc.cluster.local, port: 4317}
- name: logs
  envoyFileAccessLog: {path: /dev/stdout}
- name: als
  envoyOtelAls: {service: otel.observability.svc.cluster.local, port: 4317}
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.TrustDomain() != "example.org" || c.RootNamespace() != "mesh-root" {
		t.Errorf("trustDomain %q rootNamespace %q", c.TrustDomain(), c.RootNamespace())
	}
	if p := c.ExtensionProvider("otel"); p.GetOpentelemetry().GetPort() != 4317 {
		t.Errorf("otel provider: %v", p)
	}
	if ProviderKind(c.ExtensionProvider("als")) != "envoyOtelAls" {
		t.Errorf("kind of als = %q", ProviderKind(c.ExtensionProvider("als")))
	}
	if len(c.Problems) != 0 {
		t.Errorf("everything here is honoured, got problems %v", c.Problems)
	}
}

func TestParseReportsWhatItDoesNotHonour(t *testing.T) {
	c, err := Parse("test", `
ingressClass: istio
defaultConfig:
  concurrency: 4
  tracing:
    sampling: 10
    zipkin: {address: zipkin:9411}
defaultProviders:
  metrics: [prometheus]
extensionProviders:
- name: prometheus
  prometheus: {}
- name: dd
  datadog: {service: dd, port: 8126}
- name: z
  zipkin: {service: z, port: 9411, timeout: 1s, headers: [{name: a, value: b}]}
- name: o
  opentelemetry: {service: o, port: 4318, http: {path: /v1/traces, headers: [{name: k, envName: KEY}]}}
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ingressClass", "defaultConfig.concurrency", "defaultConfig.tracing.zipkin", "defaultProviders.metrics", "extensionProviders[0] (prometheus)", "extensionProviders[1] (dd)",
		"extensionProviders[2] (z).zipkin.headers", "extensionProviders[2] (z).zipkin.timeout", "extensionProviders[3] (o).opentelemetry.http.headers[0].envName"} {
		if !hasProblem(c, f) {
			t.Errorf("no problem reported for %s; got %v", f, c.Problems)
		}
	}
	if hasProblem(c, "defaultConfig.tracing.sampling") {
		t.Error("sampling is honoured, yet reported")
	}
}

func TestParseRefusesBadInputByName(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown field", "enableTracin: true", "enableTracin"},
		{"wrong type", "enableTracing: [1]", "enableTracing"},
		{"not yaml", "a: [", "mesh"},
		{"not a mapping", "- a", "mapping"},
		{"sampling range", "defaultConfig: {tracing: {sampling: 101}}", "defaultConfig.tracing.sampling"},
		{"provider without name", "extensionProviders: [{zipkin: {service: z, port: 1}}]", "extensionProviders[0].name"},
		{"duplicate provider", "extensionProviders: [{name: a, zipkin: {service: z, port: 1}}, {name: a, zipkin: {service: z, port: 1}}]", "defined twice"},
		{"provider without service", "extensionProviders: [{name: a, zipkin: {port: 1}}]", "extensionProviders[0] (a).zipkin: service: required"},
		{"default provider unknown", "defaultProviders: {tracing: [nope]}", "nope"},
		{"unknown enum", "accessLogEncoding: XML", "accessLogEncoding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("ConfigMap sailplane-system/istio", tc.yaml)
			if err == nil {
				t.Fatalf("accepted %q", tc.yaml)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "ConfigMap sailplane-system/istio") {
				t.Errorf("error %q does not name %q and the source", err, tc.want)
			}
		})
	}
}

func hasProblem(c *Config, field string) bool {
	for _, p := range c.Problems {
		if p.Field == field {
			return true
		}
	}
	return false
}

func TestExplicitTrustDomain(t *testing.T) {
	if _, ok := Default().ExplicitTrustDomain(); ok {
		t.Error("the default trust domain must not read as set, or it would override --trust-domain")
	}
	c, err := Parse("test", "trustDomain: example.org")
	if err != nil {
		t.Fatal(err)
	}
	if td, ok := c.ExplicitTrustDomain(); !ok || td != "example.org" {
		t.Errorf("ExplicitTrustDomain = %q, %v", td, ok)
	}
}

func TestProtoFieldNamesCountAsSet(t *testing.T) {
	c, err := Parse("test", "enable_tracing: false\ndefault_config: {tracing: {sampling: 0}}")
	if err != nil {
		t.Fatal(err)
	}
	if c.EnableTracing() || c.TracingSampling() != 0 {
		t.Errorf("enable_tracing: false / sampling 0 in proto form were overridden: %v %v", c.EnableTracing(), c.TracingSampling())
	}
}

func TestDefaultProvidersOfTheWrongKindAreReported(t *testing.T) {
	c, err := Parse("test", `
extensionProviders:
- {name: z, zipkin: {service: z, port: 9411}}
- {name: f, envoyFileAccessLog: {path: /dev/stdout}}
defaultProviders:
  tracing: [f]
  accessLogging: [z]
`)
	if err != nil {
		t.Fatal(err)
	}
	if !hasProblem(c, "defaultProviders.tracing") || !hasProblem(c, "defaultProviders.accessLogging") {
		t.Errorf("providers of the wrong kind not reported: %v", c.Problems)
	}
}
