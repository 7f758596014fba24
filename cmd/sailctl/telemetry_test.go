package main

import (
	"bytes"
	"strings"
	"testing"
)

// sailctl x translate --show telemetry reads ConfigMap istio in the mesh
// namespace among the manifests, and only there.
func TestTranslateShowsTelemetry(t *testing.T) {
	args := func(ns string) []string {
		return []string{"x", "translate",
			"-f", translateTestdata("telemetry.base.yaml"), "-f", translateTestdata("telemetry-zipkin.in.yaml"),
			"--proxy", "frontend-v1.default", "--show", "telemetry", "--mesh-namespace", ns}
	}
	var out, errs bytes.Buffer
	if code := run(args("sailplane-system"), &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "tracing: zipkin (zipkin) sampling 10%") || !strings.Contains(out.String(), "from: ConfigMap sailplane-system/istio") {
		t.Errorf("the ConfigMap's tracing is not shown:\n%s", out.String())
	}
	out.Reset()
	if code := run(args("elsewhere"), &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if strings.Count(out.String(), "tracing: off") != 2 {
		t.Errorf("with the control plane elsewhere the ConfigMap must not apply:\n%s", out.String())
	}
}
