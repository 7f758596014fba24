package proxystatus_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/configdump"
	"github.com/sailplane/sailplane/internal/proxystatus"
	"github.com/sailplane/sailplane/internal/translate"
)

// The tracing and log tables read what a proxy was actually given, from
// its config dump: here the golden case with a client-side OpenTelemetry
// tracer and a filtered file log, a server side that only propagates.
func TestTracingAndLogTables(t *testing.T) {
	dir := filepath.Join("..", "translate", "testdata")
	b, _, err := translate.Load([]string{filepath.Join(dir, "telemetry.base.yaml"), filepath.Join(dir, "telemetry-modes.in.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := translate.Run(b, translate.ParseProxy("frontend-v1.default"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := configdump.Build(res.Resources, "test")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := configdump.JSON(d)
	if err != nil {
		t.Fatal(err)
	}
	var tracing, logs bytes.Buffer
	if err := proxystatus.WriteConfig(&tracing, raw, "tracing"); err != nil {
		t.Fatal(err)
	}
	if err := proxystatus.WriteConfig(&logs, raw, "log"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"0.0.0.0_9080", "OUTBOUND", "envoy.tracers.opentelemetry", "25%", "telemetry|4317||otel-collector.observability.svc.cluster.local",
		"INBOUND", "(propagation only)",
	} {
		if !strings.Contains(tracing.String(), want) {
			t.Errorf("tracing table lacks %q:\n%s", want, tracing.String())
		}
	}
	for _, want := range []string{"envoy.access_loggers.file", "/dev/stdout", "response.code >= 400", "envoy.access_loggers.open_telemetry"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log table lacks %q:\n%s", want, logs.String())
		}
	}
}
