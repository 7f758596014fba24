package inject

import (
	metricsv3 "github.com/envoyproxy/go-control-plane/envoy/config/metrics/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// statsConfig keeps Envoy's built-in tag extraction on, explicitly: the
// Prometheus rules sailplane ships (config/prometheus) turn
// envoy_cluster_upstream_rq{envoy_cluster_name, envoy_response_code} into
// Istio's istio_requests_total, and those two tags come from Envoy's
// default extractors applied to the cluster names sailplane gives
// (outbound|<port>|<subset>|<host>, inbound|<port>||<host>; the extractor
// keeps a *.svc.cluster.local host whole). Upstream Envoy has no Istio
// stats extension; these are the only stats the rules read.
func statsConfig() *metricsv3.StatsConfig {
	return &metricsv3.StatsConfig{UseAllDefaultTags: wrapperspb.Bool(true)}
}
