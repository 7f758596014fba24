package translate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/internal/xds"
)

// TestIstioDocsTelemetries translates each Telemetry example of Istio's
// documentation (test/crd/testdata/telemetry-examples.yaml, the file the
// API server test applies unchanged) over a mesh that defines the
// providers they name, for a workload each selects. The configuration must
// be consistent, and the only problems are the ones sailplane documents as
// not honoured (metrics, targetRefs): every other example is Accepted.
// The namespace and workload examples override the mesh-wide one, as in
// Istio's task, so they are translated beside it; the sampling and custom
// tag the namespace's sets, and the workload's disabled spans, are
// checked on the connection managers themselves.
func TestIstioDocsTelemetries(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "test", "crd", "testdata", "telemetry-examples.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := regexp.MustCompile(`(?m)^---\s*$`).Split(string(raw), -1)
	if len(docs) < 8 {
		t.Fatalf("found %d Telemetry examples, want the docs' set", len(docs))
	}
	notHonoured := map[string]string{"metrics-overrides": "metrics", "gateway-target": "targetRefs"}
	overrides := map[string]bool{"namespace-override": true, "workload-override": true}
	var meshDefault string
	for _, doc := range docs {
		if strings.Contains(doc, "name: mesh-default,") {
			meshDefault = doc
		}
	}
	for _, doc := range docs {
		name := regexp.MustCompile(`metadata: \{name: ([a-z0-9-]+)`).FindStringSubmatch(doc)
		if name == nil {
			t.Fatalf("example without a name:\n%s", doc)
		}
		t.Run(name[1], func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "example.yaml")
			text := doc
			if overrides[name[1]] {
				text = meshDefault + "\n---\n" + doc
			}
			if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			b, unsupported, err := Load([]string{"testdata/telemetry.base.yaml", "testdata/istio-docs-telemetry.mesh.yaml", file})
			if err != nil || len(unsupported) > 0 {
				t.Fatalf("load: %v %v", err, unsupported)
			}
			for _, proxy := range []types.NamespacedName{{Namespace: "myapp", Name: "frontend"}, {Namespace: "default", Name: "sleep"}} {
				res, err := Run(b, proxy)
				if err != nil {
					t.Fatal(err)
				}
				for _, err := range xds.CheckConsistency(res.Resources) {
					t.Errorf("%s: %v", proxy, err)
				}
				checkTelemetryProblems(t, res, name[1], notHonoured[name[1]])
				if name[1] == "namespace-override" && proxy.Namespace == "myapp" {
					checkSampling(t, res, 50, "my_new_foo_tag")
				}
				if name[1] == "workload-override" && proxy.Namespace == "myapp" {
					checkNoTracing(t, res)
				}
			}
		})
	}
}

func checkTelemetryProblems(t *testing.T, res *Result, name, want string) {
	t.Helper()
	var got []string
	for _, ref := range res.Model.Status.Objects() {
		if ref.Kind != "Telemetry" || ref.Name != name {
			continue
		}
		for _, p := range res.Model.Status.Problems(ref) {
			got = append(got, p.Field+": "+p.Reason)
		}
	}
	switch {
	case want == "" && len(got) > 0:
		t.Errorf("Telemetry %s: problems %q, want none", name, got)
	case want != "" && (len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), want)):
		t.Errorf("Telemetry %s: problems %q, want one naming %s", name, got, want)
	}
}

// checkSampling wants every HTTP connection manager of the proxy to trace
// at the given percentage with the custom tag.
func checkSampling(t *testing.T, res *Result, percent float64, tag string) {
	t.Helper()
	seen := 0
	for _, l := range res.Resources.Listeners {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				hcm := &hcmv3.HttpConnectionManager{}
				if f.GetTypedConfig().UnmarshalTo(hcm) != nil {
					continue
				}
				seen++
				tr := hcm.GetTracing()
				if tr.GetRandomSampling().GetValue() != percent {
					t.Errorf("%s/%s: sampling %v, want %v", l.GetName(), fc.GetName(), tr.GetRandomSampling().GetValue(), percent)
				}
				found := false
				for _, ct := range tr.GetCustomTags() {
					found = found || ct.GetTag() == tag
				}
				if !found {
					t.Errorf("%s/%s: no custom tag %s", l.GetName(), fc.GetName(), tag)
				}
			}
		}
	}
	if seen == 0 {
		t.Error("the proxy has no HTTP connection manager")
	}
}

// checkNoTracing wants no HTTP connection manager of the proxy to report
// spans: tracing may stay (trace headers keep propagating, as in Istio),
// but without a tracer.
func checkNoTracing(t *testing.T, res *Result) {
	t.Helper()
	for _, l := range res.Resources.Listeners {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				hcm := &hcmv3.HttpConnectionManager{}
				if f.GetTypedConfig().UnmarshalTo(hcm) == nil && hcm.GetTracing().GetProvider() != nil {
					t.Errorf("%s/%s reports spans (%v), want span reporting disabled", l.GetName(), fc.GetName(), hcm.GetTracing())
				}
			}
		}
	}
}
