package simulate

import (
	"fmt"
	"strings"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	healthcheckv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/health_check/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// StaticHTTP is what an Envoy started from a bootstrap does with a plain
// HTTP request to one of its static listeners: either it routes the
// request to an upstream (Forward), or a health_check filter answers it
// from a cluster's active health check (HealthCheck).
type StaticHTTP struct {
	Cluster string
	// Upstream is the cluster's one static endpoint, host:port.
	Upstream string
	// Forward: the path the upstream sees (prefix_rewrite applied, the
	// request's query kept), whether the upstream connection is TLS, and
	// the route's timeout.
	Forward bool
	Path    string
	TLS     bool
	Timeout time.Duration
	// HealthCheck: the kind of the cluster's active check ("tcp", "grpc",
	// "http") and, for gRPC, the service asked about.
	HealthCheck string
	GRPCService string
}

// BootstrapHTTP resolves a GET of path to the static listener on port,
// following Envoy's order: HTTP filters first (a health_check filter whose
// headers match answers itself), then the router's first virtual host for
// the host "*" and its first matching route. Only what sailplane's
// bootstraps use is understood; anything else is an error, not a guess.
func BootstrapHTTP(b *bootstrapv3.Bootstrap, port uint32, path string) (StaticHTTP, error) {
	hcm, err := staticHCM(b, port)
	if err != nil {
		return StaticHTTP{}, err
	}
	reqPath, query, _ := strings.Cut(path, "?")
	for _, f := range hcm.GetHttpFilters() {
		var hc healthcheckv3.HealthCheck
		if f.GetTypedConfig().MessageIs(&hc) {
			if err := f.GetTypedConfig().UnmarshalTo(&hc); err != nil {
				return StaticHTTP{}, err
			}
			if !hc.GetPassThroughMode().GetValue() && headersMatchPath(hc.GetHeaders(), path) {
				return healthAnswer(b, &hc)
			}
		}
	}
	vh := firstVirtualHost(hcm.GetRouteConfig())
	if vh == nil {
		return StaticHTTP{}, fmt.Errorf("listener on port %d: no virtual host for *", port)
	}
	for _, r := range vh.GetRoutes() {
		rewritten, ok := matchRoute(r.GetMatch(), reqPath, r.GetRoute().GetPrefixRewrite())
		if !ok {
			continue
		}
		if query != "" {
			rewritten = joinQuery(rewritten, query)
		}
		c, err := staticCluster(b, r.GetRoute().GetCluster())
		if err != nil {
			return StaticHTTP{}, err
		}
		up, err := staticUpstream(c)
		if err != nil {
			return StaticHTTP{}, err
		}
		var tls tlsv3.UpstreamTlsContext
		return StaticHTTP{
			Cluster: c.GetName(), Upstream: up, Forward: true, Path: rewritten,
			TLS:     c.GetTransportSocket().GetTypedConfig().MessageIs(&tls),
			Timeout: r.GetRoute().GetTimeout().AsDuration(),
		}, nil
	}
	return StaticHTTP{}, fmt.Errorf("listener on port %d: no route for %s (Envoy answers 404)", port, path)
}

// staticHCM is the one HTTP connection manager of the static listener on port.
func staticHCM(b *bootstrapv3.Bootstrap, port uint32) (*hcmv3.HttpConnectionManager, error) {
	var l *listenerv3.Listener
	for _, cand := range b.GetStaticResources().GetListeners() {
		if cand.GetAddress().GetSocketAddress().GetPortValue() == port {
			l = cand
		}
	}
	if l == nil {
		return nil, fmt.Errorf("no static listener on port %d", port)
	}
	if len(l.GetFilterChains()) != 1 || len(l.GetFilterChains()[0].GetFilters()) != 1 {
		return nil, fmt.Errorf("listener %s: want one filter chain with one filter", l.GetName())
	}
	var hcm hcmv3.HttpConnectionManager
	if err := l.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(&hcm); err != nil {
		return nil, fmt.Errorf("listener %s: %w", l.GetName(), err)
	}
	return &hcm, nil
}

// headersMatchPath: the filter's only header matcher is an exact :path.
func headersMatchPath(hs []*routev3.HeaderMatcher, path string) bool {
	if len(hs) != 1 || hs[0].GetName() != ":path" {
		return false
	}
	return hs[0].GetStringMatch().GetExact() == path
}

func healthAnswer(b *bootstrapv3.Bootstrap, hc *healthcheckv3.HealthCheck) (StaticHTTP, error) {
	if len(hc.GetClusterMinHealthyPercentages()) != 1 {
		return StaticHTTP{}, fmt.Errorf("health_check filter: want one cluster, have %d", len(hc.GetClusterMinHealthyPercentages()))
	}
	var name string
	for n := range hc.GetClusterMinHealthyPercentages() {
		name = n
	}
	c, err := staticCluster(b, name)
	if err != nil {
		return StaticHTTP{}, err
	}
	up, err := staticUpstream(c)
	if err != nil {
		return StaticHTTP{}, err
	}
	if len(c.GetHealthChecks()) != 1 {
		return StaticHTTP{}, fmt.Errorf("cluster %s: want one active health check", name)
	}
	out := StaticHTTP{Cluster: name, Upstream: up}
	h := c.GetHealthChecks()[0]
	switch {
	case h.GetTcpHealthCheck() != nil:
		out.HealthCheck = "tcp"
	case h.GetGrpcHealthCheck() != nil:
		out.HealthCheck, out.GRPCService = "grpc", h.GetGrpcHealthCheck().GetServiceName()
	case h.GetHttpHealthCheck() != nil:
		out.HealthCheck = "http"
	}
	return out, nil
}

func firstVirtualHost(rc *routev3.RouteConfiguration) *routev3.VirtualHost {
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.GetDomains() {
			if d == "*" {
				return vh
			}
		}
	}
	return nil
}

// matchRoute applies an exact path or prefix match and the route's
// prefix_rewrite (which replaces the whole path for an exact match).
func matchRoute(m *routev3.RouteMatch, path, rewrite string) (string, bool) {
	switch {
	case m.GetPath() != "":
		if path != m.GetPath() {
			return "", false
		}
		if rewrite != "" {
			return rewrite, true
		}
		return path, true
	case m.GetPrefix() != "" || m.GetPathSpecifier() == nil:
		if !strings.HasPrefix(path, m.GetPrefix()) {
			return "", false
		}
		if rewrite != "" {
			return rewrite + strings.TrimPrefix(path, m.GetPrefix()), true
		}
		return path, true
	}
	return "", false
}

// joinQuery appends the request's query after the rewritten path: Envoy
// replaces the matched part of :path and keeps the rest verbatim, even
// when the rewrite carries a query of its own. (The kubelet's rewritten
// probes carry none.)
func joinQuery(path, query string) string {
	return path + "?" + query
}

func staticCluster(b *bootstrapv3.Bootstrap, name string) (*clusterv3.Cluster, error) {
	for _, c := range b.GetStaticResources().GetClusters() {
		if c.GetName() == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no static cluster %q", name)
}

func staticUpstream(c *clusterv3.Cluster) (string, error) {
	if c.GetType() != clusterv3.Cluster_STATIC {
		return "", fmt.Errorf("cluster %s: type %v, want STATIC", c.GetName(), c.GetType())
	}
	eps := c.GetLoadAssignment().GetEndpoints()
	if len(eps) != 1 || len(eps[0].GetLbEndpoints()) != 1 {
		return "", fmt.Errorf("cluster %s: want exactly one endpoint", c.GetName())
	}
	sa := eps[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	return fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue()), nil
}
