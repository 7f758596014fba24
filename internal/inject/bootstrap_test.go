package inject

import (
	"strconv"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	grpccredentialv3 "github.com/envoyproxy/go-control-plane/envoy/config/grpc_credential/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
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
	if err := ValidateBootstrap(b); err != nil {
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
	b, err := Bootstrap("xds.example:15012", ModeTProxy)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := RenderBootstrap(b)
	got := parseBootstrap(t, text)
	if got.GetAdmin().GetAddress().GetSocketAddress().GetAddress() != defaults.LocalhostIP {
		t.Error("admin must listen on loopback only")
	}
	ads := got.GetDynamicResources().GetAdsConfig()
	if ads.GetTransportApiVersion().String() != "V3" || xdsTarget(t, got) != "xds.example:15012" {
		t.Errorf("ADS config %v does not dial xds.example:15012 over V3", ads)
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
	for _, c := range got.GetStaticResources().GetClusters() {
		if c.GetName() != adminClusterName {
			t.Errorf("static cluster %s: the control plane is reached by the Google gRPC client, not a cluster", c.GetName())
		}
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

// TestBootstrapAuthenticatesXDS: the ADS connection is TLS verified against
// the mounted mesh root, and every stream carries the projected token as a
// bearer token, read by the plugin Envoy's file_based_metadata factory
// applies (the default factory would silently drop it).
func TestBootstrapAuthenticatesXDS(t *testing.T) {
	b, err := Bootstrap("sailplane.mesh.svc:15012", ModeRedirect)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := RenderBootstrap(b)
	g := parseBootstrap(t, text).GetDynamicResources().GetAdsConfig().GetGrpcServices()[0].GetGoogleGrpc()
	if g.GetStatPrefix() != XDSStatPrefix {
		t.Errorf("stat prefix %q, want %q", g.GetStatPrefix(), XDSStatPrefix)
	}
	if got := g.GetChannelCredentials().GetSslCredentials().GetRootCerts().GetFilename(); got != RootCertPath ||
		RootCertPath != "/var/run/secrets/istio/root-cert.pem" {
		t.Errorf("TLS root %q, want the mounted %s", got, RootCertPath)
	}
	if g.GetChannelCredentials().GetSslCredentials().GetCertChain() != nil {
		t.Error("the proxy presents a client certificate; it authenticates with its token")
	}
	if g.GetCredentialsFactoryName() != "envoy.grpc_credentials.file_based_metadata" {
		t.Errorf("credentials factory %q: only file_based_metadata's factory applies from_plugin credentials", g.GetCredentialsFactoryName())
	}
	creds := g.GetCallCredentials()
	if len(creds) != 1 || creds[0].GetFromPlugin().GetName() != "envoy.grpc_credentials.file_based_metadata" {
		t.Fatalf("call credentials %v, want the file_based_metadata plugin", creds)
	}
	msg, err := creds[0].GetFromPlugin().GetTypedConfig().UnmarshalNew()
	if err != nil {
		t.Fatal(err)
	}
	cfg, ok := msg.(*grpccredentialv3.FileBasedMetadataConfig)
	if !ok {
		t.Fatalf("plugin config is a %T, want FileBasedMetadataConfig", msg)
	}
	if cfg.GetSecretData().GetFilename() != "/var/run/secrets/tokens/istio-token" ||
		cfg.GetHeaderKey() != "authorization" || cfg.GetHeaderPrefix() != "Bearer " {
		t.Errorf("token header from %q as %q: %q+token, want /var/run/secrets/tokens/istio-token as authorization: Bearer +token",
			cfg.GetSecretData().GetFilename(), cfg.GetHeaderKey(), cfg.GetHeaderPrefix())
	}
	args := g.GetChannelArgs().GetArgs()
	if args["grpc.keepalive_time_ms"].GetIntValue() != 300000 || args["grpc.max_receive_message_length"].GetIntValue() != -1 {
		t.Errorf("channel args %v: want keepalive pings every 5 minutes and no 4 MiB receive limit", args)
	}
}

// TestValidateBootstrapLooksInsideTypedConfigs: a typed config Envoy would
// reject fails validation, though the bootstrap's own rules pass.
func TestValidateBootstrapLooksInsideTypedConfigs(t *testing.T) {
	for name, breakIt := range map[string]func(*bootstrapv3.Bootstrap){
		"call credentials without a token file": func(b *bootstrapv3.Bootstrap) {
			p := b.GetDynamicResources().GetAdsConfig().GetGrpcServices()[0].GetGoogleGrpc().GetCallCredentials()[0].GetFromPlugin()
			p.ConfigType = &corev3.GrpcService_GoogleGrpc_CallCredentials_MetadataCredentialsFromPlugin_TypedConfig{
				TypedConfig: mustAny(&grpccredentialv3.FileBasedMetadataConfig{
					SecretData: &corev3.DataSource{Specifier: &corev3.DataSource_Filename{}},
				}),
			}
		},
		"listener filter without a stat prefix": func(b *bootstrapv3.Bootstrap) {
			f := b.GetStaticResources().GetListeners()[0].GetFilterChains()[0].GetFilters()[0]
			f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(&hcmv3.HttpConnectionManager{
				RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{RouteConfigName: "x"}},
			})}
		},
	} {
		b, err := Bootstrap("sailplane.mesh.svc:15012", ModeRedirect)
		if err != nil {
			t.Fatal(err)
		}
		breakIt(b)
		if err := b.ValidateAll(); err != nil {
			t.Fatalf("%s: the bootstrap's own rules already fail (%v); the case tests nothing", name, err)
		}
		if err := ValidateBootstrap(b); err == nil {
			t.Errorf("%s: ValidateBootstrap accepted it", name)
		}
	}
}
