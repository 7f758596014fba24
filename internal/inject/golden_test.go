package inject

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// goldenCase is testdata/<case>.in.yaml.
type goldenCase struct {
	// Settings are applied over testSettings().
	Settings  map[string]any `json:"settings"`
	Namespace Namespace      `json:"namespace"`
	Manual    bool           `json:"manual"`
	Pod       corev1.Pod     `json:"pod"`
}

// goldenOut is testdata/<case>.out.yaml.
type goldenOut struct {
	Injected bool        `json:"injected"`
	Rejected bool        `json:"rejected,omitempty"`
	Error    string      `json:"error,omitempty"`
	Status   string      `json:"status"`
	Pod      *corev1.Pod `json:"pod,omitempty"`
}

func testSettings() Settings { return DefaultSettings().Complete(DefaultControlPlaneNamespace) }

// TestGolden injects every testdata/<case>.in.yaml and compares with
// <case>.out.yaml; `go test ./internal/inject -run TestGolden -update`
// rewrites them. Every output is also injected again and must not change.
func TestGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			c, s := readCase(t, in)
			src := Source{Namespace: c.Namespace, Manual: c.Manual}
			res := Inject(&c.Pod, src, s)
			if res.Pod != nil {
				again := Inject(res.Pod, src, s)
				if !equality.Semantic.DeepEqual(again.Pod, res.Pod) || again.Rejected {
					t.Errorf("injecting the output again changed it (status %q)", again.Status)
				}
			}
			compareGolden(t, strings.TrimSuffix(in, ".in.yaml")+".out.yaml", renderOut(t, res))
		})
	}
}

// TestNoStaleGoldens fails on an output without its input: a renamed or
// deleted case must take its golden file with it.
func TestNoStaleGoldens(t *testing.T) {
	var outs []string
	for _, pattern := range []string{"testdata/*.out.yaml", "testdata/manifests/*.out.yaml", "testdata/manifests/*.report.txt"} {
		m, _ := filepath.Glob(pattern)
		outs = append(outs, m...)
	}
	for _, out := range outs {
		if out == "testdata/bootstrap.out.yaml" || out == "testdata/bootstrap-probes.out.yaml" { // TestBootstrap*Golden's, no input
			continue
		}
		in := strings.TrimSuffix(strings.TrimSuffix(out, ".out.yaml"), ".report.txt") + ".in.yaml"
		if _, err := os.Stat(in); err != nil {
			t.Errorf("%s has no %s: delete it", out, in)
		}
	}
}

func readCase(t *testing.T, path string) (goldenCase, Settings) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c goldenCase
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s := testSettings()
	if c.Settings != nil {
		js, err := yaml.Marshal(c.Settings)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(js, &s); err != nil {
			t.Fatalf("%s: settings: %v", path, err)
		}
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("%s: settings: %v", path, err)
	}
	return c, s
}

func renderOut(t *testing.T, res Result) []byte {
	t.Helper()
	out := goldenOut{Injected: res.Injected, Rejected: res.Rejected, Status: res.Status, Pod: res.Pod}
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	if out.Pod != nil {
		out.Pod = out.Pod.DeepCopy()
		shortenBootstrap(t, out.Pod)
	}
	b, err := yaml.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shortenBootstrap replaces the --config-yaml value with what varies per
// pod, after checking that it is exactly what Bootstrap renders for those
// values and that Envoy's validation accepts it. bootstrap.out.yaml holds
// the full text once.
func shortenBootstrap(t *testing.T, pod *corev1.Pod) {
	t.Helper()
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			args := list[i].Args
			for j := 0; j+1 < len(args); j++ {
				if args[j] == "--config-yaml" {
					args[j+1] = describeBootstrap(t, args[j+1], containerProbes(t, list[i]))
				}
			}
		}
	}
}

func describeBootstrap(t *testing.T, text string, probes AppProbers) string {
	t.Helper()
	b := parseBootstrap(t, text)
	addr := xdsTarget(t, b)
	mode := b.GetNode().GetMetadata().GetFields()[MetadataInterceptionMode].GetStringValue()
	want, err := PodBootstrap(addr, mode, probes)
	if err != nil {
		t.Fatal(err)
	}
	if rendered, _ := RenderBootstrap(want); rendered != text {
		t.Errorf("bootstrap is not what PodBootstrap(%q, %q, %s) renders", addr, mode, probes.JSON())
	}
	desc := "<bootstrap.out.yaml with xds-grpc at " + addr + ", " + MetadataInterceptionMode + " " + mode
	if len(probes) > 0 {
		desc += ", " + AppProbeListenerName + " on 15020 for " + strings.Join(probes.Paths(), " ")
	}
	return desc + ">"
}

// containerProbes reads the proxy's record of the rewritten probes.
func containerProbes(t *testing.T, c corev1.Container) AppProbers {
	t.Helper()
	for _, e := range c.Env {
		if e.Name == EnvAppProbers {
			p, err := ParseAppProbers(e.Value)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	return nil
}

// xdsTarget is the address the bootstrap's ADS service dials.
func xdsTarget(t *testing.T, b *bootstrapv3.Bootstrap) string {
	t.Helper()
	services := b.GetDynamicResources().GetAdsConfig().GetGrpcServices()
	if len(services) != 1 || services[0].GetGoogleGrpc() == nil {
		t.Fatalf("ADS config has %d gRPC services, want one Google gRPC service", len(services))
	}
	return services[0].GetGoogleGrpc().GetTargetUri()
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/inject -update to create it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s is stale; `go test ./internal/inject -run TestGolden -update` rewrites it (first difference at line %d)\n%s",
			path, firstDiffLine(want, got), got)
	}
}

func firstDiffLine(a, b []byte) int {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range la {
		if i >= len(lb) || la[i] != lb[i] {
			return i + 1
		}
	}
	return len(la) + 1
}
