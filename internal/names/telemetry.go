package names

import (
	"fmt"
	"strings"
)

// Envoy extensions of tracing and access logging, as upstream Envoy names
// them (all built into upstream Envoy and Istio's proxy).
const (
	ZipkinTracer        = "envoy.tracers.zipkin"
	OpenTelemetryTracer = "envoy.tracers.opentelemetry"
	FileAccessLog       = "envoy.access_loggers.file"
	OpenTelemetryALS    = "envoy.access_loggers.open_telemetry"
	CELAccessLogFilter  = "envoy.access_loggers.extension_filters.cel"
)

// TelemetryCluster names the cluster a proxy reaches a tracing or log
// collector through. It is its own cluster, apart from the service's
// outbound one, so it exists on every proxy (gateways too) and carries the
// provider's settings.
func TelemetryCluster(port uint32, host string) string {
	return fmt.Sprintf("telemetry|%d||%s", port, host)
}

// ParseTelemetryCluster reads a TelemetryCluster name back.
func ParseTelemetryCluster(name string) (port uint32, host string, ok bool) {
	if !strings.HasPrefix(name, "telemetry|") {
		// What Sscanf would refuse, without its cost: the endpoint-only
		// path asks this of every cluster of every outbound half.
		return 0, "", false
	}
	var rest string
	if _, err := fmt.Sscanf(name, "telemetry|%d||%s", &port, &rest); err != nil {
		return 0, "", false
	}
	return port, rest, name == TelemetryCluster(port, rest)
}
