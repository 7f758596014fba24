// Package configdump renders a proxy's resources as Envoy's admin
// ConfigDump: the JSON that `/config_dump?include_eds` prints and that
// `istioctl proxy-config` reads, so existing tooling can consume it.
package configdump

import (
	"bytes"
	"encoding/json"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/pbany"
	"github.com/sailplane/sailplane/internal/xds"
)

// Build assembles the ConfigDump; version is reported as every resource's
// version_info.
func Build(r *xds.Resources, version string) (*adminv3.ConfigDump, error) {
	listeners := &adminv3.ListenersConfigDump{VersionInfo: version}
	for _, l := range r.Listeners {
		listeners.DynamicListeners = append(listeners.DynamicListeners, &adminv3.ListenersConfigDump_DynamicListener{
			Name:        l.Name,
			ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{VersionInfo: version, Listener: mustAny(l)},
		})
	}
	routes := &adminv3.RoutesConfigDump{}
	for _, rc := range r.Routes {
		routes.DynamicRouteConfigs = append(routes.DynamicRouteConfigs,
			&adminv3.RoutesConfigDump_DynamicRouteConfig{VersionInfo: version, RouteConfig: mustAny(rc)})
	}
	clusters := &adminv3.ClustersConfigDump{VersionInfo: version}
	for _, c := range r.Clusters {
		clusters.DynamicActiveClusters = append(clusters.DynamicActiveClusters,
			&adminv3.ClustersConfigDump_DynamicCluster{VersionInfo: version, Cluster: mustAny(c)})
	}
	endpoints := &adminv3.EndpointsConfigDump{}
	for _, e := range r.Endpoints {
		endpoints.DynamicEndpointConfigs = append(endpoints.DynamicEndpointConfigs,
			&adminv3.EndpointsConfigDump_DynamicEndpointConfig{VersionInfo: version, EndpointConfig: mustAny(e)})
	}
	configs := []*anypb.Any{mustAny(listeners), mustAny(routes), mustAny(clusters), mustAny(endpoints)}
	if len(r.Secrets) > 0 {
		configs = append(configs, mustAny(secretsDump(r.Secrets, version)))
	}
	return &adminv3.ConfigDump{Configs: configs}, nil
}

// secretsDump is the SDS section, present only when the proxy has secrets
// (sidecars without TLS origination have none, and their dumps stay as
// they were). Private keys are redacted as Envoy's own /config_dump does:
// a dump is for reading, and gets pasted into issues.
func secretsDump(secrets []*tlsv3.Secret, version string) *adminv3.SecretsConfigDump {
	out := &adminv3.SecretsConfigDump{}
	for _, s := range secrets {
		out.DynamicActiveSecrets = append(out.DynamicActiveSecrets, &adminv3.SecretsConfigDump_DynamicSecret{
			Name:        s.Name,
			VersionInfo: version,
			Secret:      mustAny(redacted(s)),
		})
	}
	return out
}

// Redacted replaces what Envoy's config dump never shows.
const Redacted = "[redacted]"

func redacted(s *tlsv3.Secret) *tlsv3.Secret {
	c := proto.Clone(s).(*tlsv3.Secret)
	if tc := c.GetTlsCertificate(); tc != nil && tc.PrivateKey != nil && tc.PrivateKey.GetFilename() == "" {
		tc.PrivateKey = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: Redacted}}
	}
	return c
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := pbany.New(m)
	if err != nil {
		panic(err) // every message here is a registered Envoy type
	}
	return a
}

// JSON renders the dump as indented JSON. protojson deliberately varies
// its whitespace between builds; compacting and re-indenting makes the
// output byte-stable, which golden files need.
func JSON(d *adminv3.ConfigDump) ([]byte, error) {
	raw, err := protojson.Marshal(d)
	if err != nil {
		return nil, err
	}
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, err
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// YAML renders the dump as YAML (keys sorted).
func YAML(d *adminv3.ConfigDump) ([]byte, error) {
	j, err := JSON(d)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(j)
}
