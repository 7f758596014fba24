package inject

import (
	"fmt"
	"strings"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	healthcheckv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Names of the probe listener's parts. Like the other static names they
// cannot clash with what the control plane sends.
const (
	// AppProbeListenerName is the static listener on AppProbePort.
	AppProbeListenerName  = "app-probes"
	appProbeClusterPrefix = "app-probe|"
	healthCheckFilterName = "envoy.filters.http.health_check"
	routerFilterName      = "envoy.filters.http.router"
	hcmFilterName         = "envoy.filters.network.http_connection_manager"
	http2ProtocolOptions  = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
	tlsTransportSocket    = "envoy.transport_sockets.tls"
)

// AppProbeCluster names the static cluster that reaches one probe's
// application port on localhost: app-probe|<container>/<kind>.
func AppProbeCluster(path string) string {
	return appProbeClusterPrefix + strings.TrimPrefix(path, AppProbePathPrefix)
}

// withAppProbes adds the probe listener and one cluster per probe to b.
// With no probes it adds nothing, so a pod without network probes gets
// the same bootstrap as before and nothing binds AppProbePort.
//
// HTTP probes are routed: the kubelet's GET on the rewritten path goes to
// 127.0.0.1:<original port> with the original path (query included), the
// kubelet's own headers (which are the original probe's), and TLS without
// verification when the original scheme was HTTPS, which is what the
// kubelet itself does. The application's status code comes back as is.
//
// TCP and gRPC probes cannot be routed: the kubelet now speaks HTTP to the
// proxy, and a TCP proxy would accept the kubelet's connection before
// knowing whether the application does. So each gets a cluster with an
// active health check of its own kind (connect-only TCP; gRPC's
// grpc.health.v1 Check with the probe's service, healthy only on SERVING,
// the kubelet's rule), run at the probe's period and timeout, and a
// health_check filter answering the rewritten path with 200 while that
// check passes and 503 when it fails or has not passed yet. The answer can
// lag the application by up to one period; thresholds of 1 keep it no
// later than that.
func withAppProbes(b *bootstrapv3.Bootstrap, probes AppProbers) {
	if len(probes) == 0 {
		return
	}
	var routes []*routev3.Route
	var filters []*hcmv3.HttpFilter
	for _, path := range probes.Paths() {
		p := probes[path]
		b.StaticResources.Clusters = append(b.StaticResources.Clusters, appProbeCluster(path, p))
		if p.HTTPGet != nil {
			routes = append(routes, appProbeRoute(path, p))
		} else {
			filters = append(filters, appProbeHealthFilter(path))
		}
	}
	// The application should see the kubelet's request, not Envoy's
	// additions: no x-envoy-* headers, no generated x-request-id.
	filters = append(filters, &hcmv3.HttpFilter{
		Name:       routerFilterName,
		ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(&routerv3.Router{SuppressEnvoyHeaders: true})},
	})
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix:        AppProbeListenerName,
		GenerateRequestId: wrapperspb.Bool(false),
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{
			Name: AppProbeListenerName,
			VirtualHosts: []*routev3.VirtualHost{{
				Name:    AppProbeListenerName,
				Domains: []string{"*"},
				Routes:  routes,
			}},
		}},
		HttpFilters: filters,
	}
	b.StaticResources.Listeners = append(b.StaticResources.Listeners, &listenerv3.Listener{
		Name:    AppProbeListenerName,
		Address: socketAddress("0.0.0.0", defaults.AppProbePort),
		FilterChains: []*listenerv3.FilterChain{{
			Filters: []*listenerv3.Filter{{
				Name:       hcmFilterName,
				ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(hcm)},
			}},
		}},
	})
}

// appProbeRoute forwards one rewritten HTTP probe, within the probe's
// timeout as the kubelet would give up after it anyway.
func appProbeRoute(path string, p AppProber) *routev3.Route {
	orig := p.HTTPGet.Path
	if !strings.HasPrefix(orig, "/") {
		orig = "/" + orig // the kubelet's URL always has one
	}
	return &routev3.Route{
		Name:  path,
		Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: path}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{
			ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: AppProbeCluster(path)},
			PrefixRewrite:    orig,
			Timeout:          seconds(p.timeout()),
		}},
	}
}

// appProbeHealthFilter answers path itself from its cluster's health.
func appProbeHealthFilter(path string) *hcmv3.HttpFilter {
	hc := &healthcheckv3.HealthCheck{
		PassThroughMode: wrapperspb.Bool(false),
		Headers: []*routev3.HeaderMatcher{{
			Name: ":path",
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
				MatchPattern: &matcherv3.StringMatcher_Exact{Exact: path},
			}},
		}},
		ClusterMinHealthyPercentages: map[string]*typev3.Percent{AppProbeCluster(path): {Value: 100}},
	}
	return &hcmv3.HttpFilter{
		// Names unique within the chain (gRPC and Istio insist; Envoy
		// finds the extension by the typed config's type).
		Name:       healthCheckFilterName + "|" + path,
		ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(hc)},
	}
}

// appProbeCluster reaches the probe's port on localhost, where the
// application listens for the kubelet's probes of its pod.
func appProbeCluster(path string, p AppProber) *clusterv3.Cluster {
	name := AppProbeCluster(path)
	c := &clusterv3.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       seconds(p.timeout()),
		LoadAssignment:       singleEndpoint(name, defaults.LocalhostIP, uint32(p.port())),
	}
	switch {
	case p.HTTPGet != nil && p.HTTPGet.Scheme == "HTTPS":
		c.TransportSocket = &corev3.TransportSocket{
			Name: tlsTransportSocket,
			// No validation context: the kubelet does not verify an HTTPS
			// probe's certificate either.
			ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustAny(&tlsv3.UpstreamTlsContext{})},
		}
	case p.TCPSocket != nil:
		hc := activeCheck(p)
		hc.HealthChecker = &corev3.HealthCheck_TcpHealthCheck_{
			TcpHealthCheck: &corev3.HealthCheck_TcpHealthCheck{}, // no payload: connect only
		}
		c.HealthChecks = []*corev3.HealthCheck{hc}
	case p.GRPC != nil:
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{http2ProtocolOptions: mustAny(&httpv3.HttpProtocolOptions{
			UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
			}},
		})}
		hc := activeCheck(p)
		hc.HealthChecker = &corev3.HealthCheck_GrpcHealthCheck_{
			// The kubelet's authority is host:port; the cluster's name, the
			// default, is no authority at all.
			GrpcHealthCheck: &corev3.HealthCheck_GrpcHealthCheck{ServiceName: ptrString(p.GRPC.Service),
				Authority: fmt.Sprintf("%s:%d", defaults.LocalhostIP, p.port())},
		}
		c.HealthChecks = []*corev3.HealthCheck{hc}
	}
	return c
}

// activeCheck runs at the probe's period even without traffic (Envoy's
// no_traffic_interval would otherwise slow it to a minute: nothing but
// health checks ever uses these clusters), and flips on one result. The
// caller sets the checker.
func activeCheck(p AppProber) *corev3.HealthCheck {
	every := seconds(p.period())
	return &corev3.HealthCheck{
		Timeout:            seconds(p.timeout()),
		Interval:           every,
		NoTrafficInterval:  every,
		UnhealthyThreshold: wrapperspb.UInt32(1),
		HealthyThreshold:   wrapperspb.UInt32(1),
	}
}

func seconds(s int32) *durationpb.Duration {
	return durationpb.New(time.Duration(s) * time.Second)
}

func ptrString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
