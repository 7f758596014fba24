package inject

import (
	"fmt"
	"sync"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	grpccredentialv3 "github.com/envoyproxy/go-control-plane/envoy/config/grpc_credential/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/pbany"
)

// Names of the bootstrap's static resources. They cannot clash with what
// the control plane sends: those are virtualOutbound, virtualInbound,
// 0.0.0.0_<port>, outbound|..., inbound|... and Istio's special clusters.
const (
	// XDSStatPrefix names the ADS gRPC service in Envoy's stats
	// (grpc.xds-grpc.*), after Istio's xds-grpc cluster.
	XDSStatPrefix      = "xds-grpc"
	adminClusterName   = "envoy-admin"
	healthListenerName = "health"
	statsListenerName  = "prometheus"
	// MetadataInterceptionMode tells the control plane how this pod's
	// traffic reaches Envoy (Istio's node metadata key).
	MetadataInterceptionMode = "INTERCEPTION_MODE"
)

// Envoy admin paths the two static listeners expose, one path each: the
// admin interface itself stays on loopback.
const (
	adminReadyPath = "/ready"
	statsPath      = "/stats/prometheus"
)

// Bootstrap is the static part of an injected Envoy's configuration: where
// the control plane is (ADS for listeners and clusters, which bring routes
// and endpoints with them, over the authenticated xDS port; see xdsService),
// the admin interface on loopback, and the health (15021) and Prometheus
// (15090) listeners. The node id is not in it: it comes from
// --service-node, filled by the kubelet from the downward API, so one
// bootstrap serves every replica.
func Bootstrap(xdsAddress, interceptionMode string) (*bootstrapv3.Bootstrap, error) {
	return PodBootstrap(xdsAddress, interceptionMode, nil)
}

// PodBootstrap is Bootstrap plus the listener on AppProbePort that answers
// the pod's rewritten probes (see withAppProbes), when it has any.
func PodBootstrap(xdsAddress, interceptionMode string, probes AppProbers) (*bootstrapv3.Bootstrap, error) {
	if _, _, err := splitHostPort(xdsAddress); err != nil {
		return nil, fmt.Errorf("xDS address: %w", err)
	}
	meta, err := structpb.NewStruct(map[string]any{MetadataInterceptionMode: interceptionMode})
	if err != nil {
		return nil, err
	}
	b := &bootstrapv3.Bootstrap{
		Node:        &corev3.Node{Metadata: meta},
		StatsConfig: statsConfig(),
		Admin: &bootstrapv3.Admin{
			Address: socketAddress(defaults.LocalhostIP, defaults.AdminPort),
		},
		DynamicResources: &bootstrapv3.Bootstrap_DynamicResources{
			AdsConfig: &corev3.ApiConfigSource{
				ApiType:             corev3.ApiConfigSource_GRPC,
				TransportApiVersion: corev3.ApiVersion_V3,
				GrpcServices:        []*corev3.GrpcService{xdsService(xdsAddress)},
				// The node (a long id) goes on the first request of a
				// stream only; the control plane remembers it.
				SetNodeOnFirstMessageOnly: true,
			},
			LdsConfig: adsConfigSource(),
			CdsConfig: adsConfigSource(),
		},
		StaticResources: &bootstrapv3.Bootstrap_StaticResources{
			Clusters: []*clusterv3.Cluster{adminCluster()},
			Listeners: []*listenerv3.Listener{
				adminPathListener(healthListenerName, defaults.HealthPort, defaults.HealthReadyPath, adminReadyPath),
				adminPathListener(statsListenerName, defaults.EnvoyPrometheusPort, statsPath, statsPath),
			},
		},
	}
	withAppProbes(b, probes)
	return b, ValidateBootstrap(b)
}

// renderedBootstrap is RenderBootstrap(PodBootstrap(xdsAddress, mode,
// probes)), remembered: the bootstrap depends on nothing else, so the pods
// of one workload (and every pod without network probes) share one, and
// rendering it (protojson, then YAML) was nearly all of an admission's time.
func renderedBootstrap(xdsAddress, mode string, probes AppProbers) (string, error) {
	key := xdsAddress + "|" + mode
	if len(probes) > 0 {
		key += "|" + probes.JSON()
	}
	renderedMu.Lock()
	y, ok := rendered[key]
	renderedMu.Unlock()
	if ok {
		return y, nil
	}
	b, err := PodBootstrap(xdsAddress, mode, probes)
	if err != nil {
		return "", err
	}
	if y, err = RenderBootstrap(b); err != nil {
		return "", err
	}
	renderedMu.Lock()
	defer renderedMu.Unlock()
	if len(rendered) >= renderedMax {
		clear(rendered) // only a handful are ever in use
	}
	rendered[key] = y
	return y, nil
}

var (
	renderedMu sync.Mutex
	rendered   = map[string]string{}
)

const renderedMax = 64

// RenderBootstrap is the bootstrap as YAML for Envoy's --config-yaml, with
// snake_case field names (Envoy's documentation's spelling) and sorted keys,
// so the same settings always give the same bytes.
func RenderBootstrap(b *bootstrapv3.Bootstrap) (string, error) {
	js, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(b)
	if err != nil {
		return "", err
	}
	y, err := yaml.JSONToYAML(js)
	return string(y), err
}

func adsConfigSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

// Names and channel arguments of the authenticated ADS connection.
const (
	// fileBasedMetadata is Envoy's call-credentials plugin that reads a
	// file into a request header, and the credentials factory that
	// understands it (the default factory skips from_plugin credentials).
	fileBasedMetadata = "envoy.grpc_credentials.file_based_metadata"
	bearerPrefix      = "Bearer "
	// xdsKeepalive pings the control plane after this long without
	// traffic, so a replica that vanished without closing the connection
	// is noticed; sailplane's server accepts pings every 5s and more.
	xdsKeepalive        = 300 * time.Second
	xdsKeepaliveTimeout = 20 * time.Second
)

// RootCertPath is the mesh root the proxy verifies the control plane's
// serving certificate with: key root-cert.pem of ConfigMap
// istio-ca-root-cert, mounted by the injector (trustVolumes).
const RootCertPath = defaults.RootCertDir + "/" + defaults.RootCertKey

// xdsService dials the control plane's authenticated xDS port with Envoy's
// Google gRPC client: TLS verified against the mesh root (the name checked
// is the host of xdsAddress, which must be a DNS SAN of the serving
// certificate), and the pod's projected service-account token in
// "authorization: Bearer <token>" on every stream. The file_based_metadata
// plugin reads the token file each time gRPC asks for a call's
// credentials, that is on every new ADS stream, so a proxy that reconnects
// after the kubelet rotated the token presents the new one. Envoy's own
// gRPC client (envoy_grpc) has no per-call credentials, only fixed headers.
func xdsService(xdsAddress string) *corev3.GrpcService {
	token := &grpccredentialv3.FileBasedMetadataConfig{
		SecretData: &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: defaults.TokenPath}},
		HeaderKey:  "authorization",
		// A projected token file holds the bare JWT, no newline.
		HeaderPrefix: bearerPrefix,
	}
	intArg := func(v int64) *corev3.GrpcService_GoogleGrpc_ChannelArgs_Value {
		return &corev3.GrpcService_GoogleGrpc_ChannelArgs_Value{
			ValueSpecifier: &corev3.GrpcService_GoogleGrpc_ChannelArgs_Value_IntValue{IntValue: v},
		}
	}
	return &corev3.GrpcService{TargetSpecifier: &corev3.GrpcService_GoogleGrpc_{GoogleGrpc: &corev3.GrpcService_GoogleGrpc{
		TargetUri:              xdsAddress,
		StatPrefix:             XDSStatPrefix,
		CredentialsFactoryName: fileBasedMetadata,
		ChannelCredentials: &corev3.GrpcService_GoogleGrpc_ChannelCredentials{
			CredentialSpecifier: &corev3.GrpcService_GoogleGrpc_ChannelCredentials_SslCredentials{
				SslCredentials: &corev3.GrpcService_GoogleGrpc_SslCredentials{
					RootCerts: &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: RootCertPath}},
				},
			},
		},
		CallCredentials: []*corev3.GrpcService_GoogleGrpc_CallCredentials{{
			CredentialSpecifier: &corev3.GrpcService_GoogleGrpc_CallCredentials_FromPlugin{
				FromPlugin: &corev3.GrpcService_GoogleGrpc_CallCredentials_MetadataCredentialsFromPlugin{
					Name: fileBasedMetadata,
					ConfigType: &corev3.GrpcService_GoogleGrpc_CallCredentials_MetadataCredentialsFromPlugin_TypedConfig{
						TypedConfig: mustAny(token),
					},
				},
			},
		}},
		ChannelArgs: &corev3.GrpcService_GoogleGrpc_ChannelArgs{Args: map[string]*corev3.GrpcService_GoogleGrpc_ChannelArgs_Value{
			"grpc.keepalive_time_ms":    intArg(xdsKeepalive.Milliseconds()),
			"grpc.keepalive_timeout_ms": intArg(xdsKeepaliveTimeout.Milliseconds()),
			// The C++ gRPC library refuses messages above 4 MiB unless
			// told otherwise; a large mesh's CDS or EDS response is more.
			"grpc.max_receive_message_length": intArg(-1),
		}},
	}}}
}

func adminCluster() *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 adminClusterName,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(time.Second),
		LoadAssignment:       singleEndpoint(adminClusterName, defaults.LocalhostIP, defaults.AdminPort),
	}
}

// adminPathListener serves exactly one path on 0.0.0.0:port by forwarding it
// to one admin path; every other path gets a 404 from the router.
func adminPathListener(name string, port int, path, adminPath string) *listenerv3.Listener {
	routes := &routev3.RouteConfiguration{
		Name: name,
		VirtualHosts: []*routev3.VirtualHost{{
			Name:    name,
			Domains: []string{"*"},
			Routes: []*routev3.Route{{
				Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: path}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{
					ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: adminClusterName},
					PrefixRewrite:    adminPath,
				}},
			}},
		}},
	}
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix:     name,
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: routes},
		HttpFilters: []*hcmv3.HttpFilter{{
			Name:       "envoy.filters.http.router",
			ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&routerv3.Router{})},
		}},
	}
	return &listenerv3.Listener{
		Name:    name,
		Address: socketAddress("0.0.0.0", port),
		FilterChains: []*listenerv3.FilterChain{{
			Filters: []*listenerv3.Filter{{
				Name:       "envoy.filters.network.http_connection_manager",
				ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(hcm)},
			}},
		}},
	}
}

func singleEndpoint(cluster, host string, port uint32) *endpointv3.ClusterLoadAssignment {
	return &endpointv3.ClusterLoadAssignment{
		ClusterName: cluster,
		Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
					Address: socketAddressPort(host, port),
				}},
			}},
		}},
	}
}

func socketAddress(host string, port int) *corev3.Address {
	return socketAddressPort(host, uint32(port))
}

func socketAddressPort(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       host,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := pbany.New(m)
	if err != nil {
		panic(err) // only messages built here, which always marshal
	}
	return a
}
