package translate

import (
	"strings"
	"testing"
)

func TestTelemetryReportNamesSettingsAndSources(t *testing.T) {
	res := runCase(t, "testdata/telemetry-modes.in.yaml")
	got := TelemetryReport(res)
	for _, want := range []string{
		"tracing: otel (opentelemetry) sampling 25%\n    from: ConfigMap sailplane-system/istio, Telemetry default/by-mode",
		"access log stdout: file /dev/stdout (text) when response.code >= 400\n    from: Telemetry default/by-mode",
		"server side (inbound listeners):\n  tracing: otel (opentelemetry) sampling 1%, spans not reported",
		"access log otel-logs: OpenTelemetry to otel-collector.observability.svc.cluster.local:4317",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	off := TelemetryReport(runCase(t, "testdata/telemetry-none.in.yaml"))
	if strings.Count(off, "tracing: off") != 2 || strings.Count(off, "access logs: off") != 2 {
		t.Errorf("Istio's defaults trace and log nothing:\n%s", off)
	}
}
