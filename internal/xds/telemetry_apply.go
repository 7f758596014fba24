package xds

import (
	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// WithTelemetry adds the proxy's tracing and access logs (TelemetryFor) to
// its generated configuration: the tracer and the loggers into every HTTP
// connection manager, the loggers into every TCP proxy, and a cluster per
// collector. r is not changed (its listeners may be shared with other
// proxies' translations): a listener that gains telemetry is copied.
func WithTelemetry(m *model.Model, p Proxy, r *Resources) *Resources {
	t := TelemetryFor(m, p)
	if t.Empty() {
		return r
	}
	client, cc := sideTelemetry(t.Client, p)
	server, sc := sideTelemetry(t.Server, p)
	collectors := append(cc, sc...)
	out := *r
	out.Listeners = make([]*listenerv3.Listener, len(r.Listeners))
	for i, l := range r.Listeners {
		if l.TrafficDirection == corev3.TrafficDirection_INBOUND {
			out.Listeners[i] = server.apply(l)
		} else {
			out.Listeners[i] = client.apply(l)
		}
	}
	clusters, assignments := telemetryClusters(m, collectors)
	clusters, assignments = withoutClustersOf(r, clusters, assignments)
	out.Clusters = append(append([]*clusterv3.Cluster(nil), r.Clusters...), clusters...)
	out.Endpoints = append(append([]*endpointv3.ClusterLoadAssignment(nil), r.Endpoints...), assignments...)
	out.sort()
	return &out
}

// sideTelemetry builds one side's tracer and loggers, and the collectors
// they send to.
func sideTelemetry(s Side, p Proxy) (listenerTelemetry, []collector) {
	logs, collectors := accessLogs(s.AccessLogs)
	lt := listenerTelemetry{logs: logs}
	if s.Tracing != nil {
		var c collector
		lt.tracing, c = hcmTracing(s.Tracing, serviceName(p))
		if !s.Tracing.DisableSpanReporting {
			collectors = append(collectors, c)
		}
	}
	return lt, collectors
}

// listenerTelemetry is what every connection manager and TCP proxy of one
// side of a proxy gets.
type listenerTelemetry struct {
	tracing *hcmv3.HttpConnectionManager_Tracing
	logs    []*accesslogv3.AccessLog
}

// apply returns the listener with telemetry in its filters, a copy when
// anything changed.
func (t listenerTelemetry) apply(l *listenerv3.Listener) *listenerv3.Listener {
	if (t.tracing == nil && len(t.logs) == 0) || !hasTelemetryFilter(l) {
		return l
	}
	l = proto.Clone(l).(*listenerv3.Listener)
	for _, fc := range chainsOf(l) {
		for _, f := range fc.GetFilters() {
			switch f.Name {
			case names.HTTPConnectionManagerFilter:
				var h hcmv3.HttpConnectionManager
				if f.GetTypedConfig().UnmarshalTo(&h) != nil {
					continue
				}
				h.Tracing = t.tracing
				h.AccessLog = append(h.AccessLog, t.logs...)
				f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(&h)}
			case names.TCPProxyFilter:
				var tp tcpv3.TcpProxy
				if f.GetTypedConfig().UnmarshalTo(&tp) != nil {
					continue
				}
				tp.AccessLog = append(tp.AccessLog, t.logs...)
				f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: mustAny(&tp)}
			}
		}
	}
	return l
}

func hasTelemetryFilter(l *listenerv3.Listener) bool {
	for _, fc := range chainsOf(l) {
		for _, f := range fc.GetFilters() {
			if f.Name == names.HTTPConnectionManagerFilter || f.Name == names.TCPProxyFilter {
				return true
			}
		}
	}
	return false
}

// serviceName is the service name an OpenTelemetry tracer reports the
// proxy's spans under: its canonical service and namespace, as Istio
// names it.
func serviceName(p Proxy) string {
	for _, k := range []string{"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"} {
		if v := p.Labels[k]; v != "" {
			return v + "." + p.Namespace
		}
	}
	if p.Workload != nil {
		return p.Workload.Ref.Name + "." + p.Namespace
	}
	return "unknown." + p.Namespace
}

// withoutClustersOf drops the collector clusters r already has (a rate
// limit service that is also a collector: same name, same cluster) and
// their load assignments.
func withoutClustersOf(r *Resources, clusters []*clusterv3.Cluster, assignments []*endpointv3.ClusterLoadAssignment) ([]*clusterv3.Cluster, []*endpointv3.ClusterLoadAssignment) {
	have := map[string]bool{}
	for _, c := range r.Clusters {
		have[c.Name] = true
	}
	var cs []*clusterv3.Cluster
	for _, c := range clusters {
		if !have[c.Name] {
			cs = append(cs, c)
		}
	}
	var as []*endpointv3.ClusterLoadAssignment
	for _, a := range assignments {
		if !have[a.ClusterName] {
			as = append(as, a)
		}
	}
	return cs, as
}
