package xds

import "strings"

// reportProxylessTelemetry says, against the object that asked for them,
// that tracing and access logs do not reach proxyless gRPC clients:
// grpc-go's xDS client reads neither a connection manager's tracing nor
// its access_log (observability there is the application's, e.g. grpc-go's
// OpenTelemetry plugin).
func (g *generator) reportProxylessTelemetry() {
	t := TelemetryFor(g.m, g.proxy).Client
	if t.Tracing != nil {
		g.telemetryProblem(t.Tracing.Source, "tracing", "is not applied to proxyless gRPC clients: grpc-go's xDS client reads no tracer from xDS")
	}
	for _, al := range t.AccessLogs {
		g.telemetryProblem(al.Source, "accessLogging", "is not applied to proxyless gRPC clients: grpc-go's xDS client reads no access log from xDS")
	}
}

// telemetryProblem reports against every object of a ", "-separated
// source list.
func (g *generator) telemetryProblem(sources, field, reason string) {
	for _, source := range strings.Split(sources, ", ") {
		if ref, ok := sourceRef(source); ok {
			g.problem(ref, field, reason)
		}
	}
}
