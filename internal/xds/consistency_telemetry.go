package xds

import (
	"fmt"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tracev3 "github.com/envoyproxy/go-control-plane/envoy/config/trace/v3"
	otelalsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/open_telemetry/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// telemetryRefs reports a tracer or an OpenTelemetry access logger whose
// collector cluster is not among the resources: Envoy refuses a tracer
// naming an unknown cluster, and the listener with it.
func telemetryRefs(l *listenerv3.Listener, clusters map[string]*clusterv3.Cluster) []error {
	var errs []error
	missing := func(what, cluster string) {
		if clusters[cluster] == nil {
			errs = append(errs, fmt.Errorf("listener %s: %s cluster %q missing", l.Name, what, cluster))
		}
	}
	for _, fc := range chainsOf(l) {
		for _, f := range fc.GetFilters() {
			var logs []*accesslogv3.AccessLog
			switch f.Name {
			case names.HTTPConnectionManagerFilter:
				var h hcmv3.HttpConnectionManager
				if f.GetTypedConfig().UnmarshalTo(&h) != nil {
					continue // listenerRefs reports it
				}
				for _, c := range tracerClusters(h.GetTracing().GetProvider()) {
					missing("tracer", c)
				}
				logs = h.GetAccessLog()
			case names.TCPProxyFilter:
				var tp tcpv3.TcpProxy
				if f.GetTypedConfig().UnmarshalTo(&tp) != nil {
					continue
				}
				logs = tp.GetAccessLog()
			}
			for _, al := range logs {
				var cfg otelalsv3.OpenTelemetryAccessLogConfig
				if al.GetTypedConfig().UnmarshalTo(&cfg) == nil {
					missing("access log service", cfg.GetCommonConfig().GetGrpcService().GetEnvoyGrpc().GetClusterName())
				}
			}
		}
	}
	return errs
}

// tracerClusters are the clusters a Zipkin or OpenTelemetry tracer sends
// spans through.
func tracerClusters(p *tracev3.Tracing_Http) []string {
	if p == nil {
		return nil
	}
	var z tracev3.ZipkinConfig
	if p.GetTypedConfig().UnmarshalTo(&z) == nil {
		return []string{z.GetCollectorCluster()}
	}
	var o tracev3.OpenTelemetryConfig
	if p.GetTypedConfig().UnmarshalTo(&o) == nil {
		if c := o.GetGrpcService().GetEnvoyGrpc().GetClusterName(); c != "" {
			return []string{c}
		}
		return []string{o.GetHttpService().GetHttpUri().GetCluster()}
	}
	return nil
}
