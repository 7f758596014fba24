package xds

import (
	"net"
	"strconv"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// collector is where a tracer or a log service sends: a provider's
// service and port, and how the cluster to it is built.
type collector struct {
	host    string
	port    uint32
	grpc    bool // HTTP/2 to the collector (OTLP/gRPC, ALS)
	timeout *durationpb.Duration
}

func (c collector) cluster() string { return names.TelemetryCluster(c.port, c.host) }

// providerHost turns a provider's service into a hostname: Istio accepts
// "ns/host" as well as the host itself.
func providerHost(service string) string {
	if _, host, ok := strings.Cut(service, "/"); ok {
		return host
	}
	return service
}

// telemetryClusters builds one cluster per collector: EDS with the
// service's endpoints when the mesh knows the service and port (no DNS in
// the data path), strict DNS on the hostname otherwise (a collector
// outside the mesh).
func telemetryClusters(m *model.Model, cs []collector) ([]*clusterv3.Cluster, []*endpointv3.ClusterLoadAssignment) {
	var clusters []*clusterv3.Cluster
	var assignments []*endpointv3.ClusterLoadAssignment
	seen := map[string]bool{}
	for _, c := range cs {
		name := c.cluster()
		if seen[name] {
			continue
		}
		seen[name] = true
		cl := &clusterv3.Cluster{
			Name:           name,
			ConnectTimeout: durationpb.New(defaults.ConnectTimeout),
		}
		if c.timeout != nil && c.timeout.AsDuration() > 0 && c.timeout.AsDuration() < defaults.ConnectTimeout {
			cl.ConnectTimeout = c.timeout
		}
		if c.grpc {
			cl.TypedExtensionProtocolOptions = map[string]*anypb.Any{
				"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": mustAny(&httpv3.HttpProtocolOptions{
					UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
						ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: &corev3.Http2ProtocolOptions{}},
					}},
				}),
			}
		}
		if eps, ok := serviceEndpoints(m, c); ok {
			cl.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}
			cl.EdsClusterConfig = &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsSource()}
			assignments = append(assignments, loadAssignment(name, eps))
		} else {
			cl.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS}
			cl.DnsLookupFamily = clusterv3.Cluster_V4_ONLY
			cl.LoadAssignment = &endpointv3.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
					Address: socketAddress(c.host, c.port),
				}}}},
			}}}
		}
		clusters = append(clusters, cl)
	}
	return clusters, assignments
}

// serviceEndpoints are the ready endpoints of the collector's service
// port, when the mesh has the service.
func serviceEndpoints(m *model.Model, c collector) ([]model.Endpoint, bool) {
	svc := m.Services[c.host]
	if svc == nil || svc.Resolution != model.ClientSideLB {
		return nil, false
	}
	for _, p := range svc.Ports {
		if p.Number == c.port {
			return svc.Endpoints[c.port], true
		}
	}
	return nil, false
}

// hostPort is "host:port" for URIs and authorities.
func hostPort(host string, port uint32) string {
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}

// telemetryAssignment recomputes a collector cluster's load assignment
// (the endpoint-only path of EndpointsFor).
func telemetryAssignment(m *model.Model, cluster string) (*endpointv3.ClusterLoadAssignment, bool) {
	port, host, ok := names.ParseTelemetryCluster(cluster)
	if !ok {
		return nil, false
	}
	eps, _ := serviceEndpoints(m, collector{host: host, port: port})
	return loadAssignment(cluster, eps), true
}
