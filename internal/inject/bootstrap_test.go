package inject

import (
	"strconv"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/defaults"
)

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// parseBootstrap reads the YAML Envoy gets on --config-yaml back into
// Envoy's Bootstrap proto, rejecting unknown fields as Envoy does, and runs
// the proto's own validation rules.
func parseBootstrap(t *testing.T, text string) *bootstrapv3.Bootstrap {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		t.Fatalf("bootstrap is not YAML: %v", err)
	}
	b := &bootstrapv3.Bootstrap{}
	if err := protojson.Unmarshal(js, b); err != nil {
		t.Fatalf("bootstrap does not parse as envoy.config.bootstrap.v3.Bootstrap: %v", err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("bootstrap fails Envoy's validation: %v", err)
	}
	return b
}

// TestBootstrapGolden keeps the full text of the default bootstrap, which
// the pod goldens abbreviate.
func TestBootstrapGolden(t *testing.T) {
	b, err := Bootstrap(testSettings().XDSAddress, ModeRedirect)
	if err != nil {
		t.Fatal(err)
	}
	text, err := RenderBootstrap(b)
	if err != nil {
		t.Fatal(err)
	}
	parseBootstrap(t, text)
	compareGolden(t, "testdata/bootstrap.out.yaml", []byte(text))
}

func TestBootstrapContents(t *testing.T) {
	b, err := Bootstrap("xds.example:15010", ModeTProxy)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := RenderBootstrap(b)
	got := parseBootstrap(t, text)
	if got.GetAdmin().GetAddress().GetSocketAddress().GetAddress() != defaults.LocalhostIP {
		t.Error("admin must listen on loopback only")
	}
	ads := got.GetDynamicResources().GetAdsConfig()
	if ads.GetGrpcServices()[0].GetEnvoyGrpc().GetClusterName() != XDSClusterName || ads.GetTransportApiVersion().String() != "V3" {
		t.Errorf("ADS config %v does not use %s over V3", ads, XDSClusterName)
	}
	for _, src := range []string{got.GetDynamicResources().GetLdsConfig().String(), got.GetDynamicResources().GetCdsConfig().String()} {
		if !strings.Contains(src, "ads:{}") || !strings.Contains(src, "resource_api_version:V3") {
			t.Errorf("LDS/CDS source %q is not ADS V3", src)
		}
	}
	ports := map[string]uint32{}
	for _, l := range got.GetStaticResources().GetListeners() {
		ports[l.GetName()] = l.GetAddress().GetSocketAddress().GetPortValue()
	}
	if ports[healthListenerName] != defaults.HealthPort || ports[statsListenerName] != defaults.EnvoyPrometheusPort {
		t.Errorf("static listener ports %v, want health 15021 and prometheus 15090", ports)
	}
	if m := got.GetNode().GetMetadata().GetFields()[MetadataInterceptionMode].GetStringValue(); m != ModeTProxy {
		t.Errorf("node metadata %s = %q, want TPROXY", MetadataInterceptionMode, m)
	}
	if strings.Contains(text, "$(") {
		t.Error("the bootstrap contains $( which the kubelet would expand")
	}
	if _, err := Bootstrap("no-port", ModeRedirect); err == nil {
		t.Error("Bootstrap accepted an address without a port")
	}
}
