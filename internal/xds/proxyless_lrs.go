package xds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// reportLoadToSelf makes every cluster a proxyless client keeps name the
// control plane it came from as its load reporting server (`lrs_server:
// {self: {}}`, the one form gRPC accepts): the client then reports, per
// cluster and locality, the requests that succeeded, failed, are in
// progress and were issued, over the connection that carries its ADS
// stream, and sailplane exports them as Istio's request metric
// (internal/telemetry).
func (g *generator) reportLoadToSelf() {
	for _, c := range g.out.Clusters {
		c.LrsServer = &corev3.ConfigSource{
			ResourceApiVersion:    corev3.ApiVersion_V3,
			ConfigSourceSpecifier: &corev3.ConfigSource_Self{Self: &corev3.SelfConfigSource{}},
		}
	}
}
