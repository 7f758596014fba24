package demo

import (
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func TestDialAddress(t *testing.T) {
	for listen, want := range map[string]string{
		":15010":           "127.0.0.1:15010",
		"0.0.0.0:25010":    "127.0.0.1:25010",
		"[::]:25010":       "127.0.0.1:25010",
		"127.0.0.2:25014":  "127.0.0.2:25014",
		"[::1]:25014":      "[::1]:25014",
		"sailplane.x:1501": "sailplane.x:1501",
		"garbage":          "garbage",
	} {
		if got := DialAddress(listen); got != want {
			t.Errorf("DialAddress(%q) = %q, want %q", listen, got, want)
		}
	}
}

// TestHintPointsAtThisInstance: every sailctl command in the hint carries
// the addresses this control plane listens on, not sailctl's defaults.
func TestHintPointsAtThisInstance(t *testing.T) {
	m := &Mesh{backends: []*backend{{version: "v1", port: 40001}, {version: "v2", port: 40002}}}
	hint := m.Hint("/tmp/kubeconfig", Addresses{XDS: ":25010", Monitoring: "0.0.0.0:25014"})
	lines := sailctlLines(hint)
	if len(lines) != 5 {
		t.Fatalf("hint has %d sailctl commands, want 5 (call, proxy-status, dashboard, proxy-config, call):\n%s", len(lines), hint)
	}
	for _, l := range lines {
		want := "--monitoring-address 127.0.0.1:25014"
		if strings.Contains(l, " x call ") {
			want = "--xds-address 127.0.0.1:25010"
		}
		if !strings.Contains(l, want) {
			t.Errorf("%q lacks %q", l, want)
		}
	}
	if strings.Contains(hint, "15010") || strings.Contains(hint, "15014") {
		t.Errorf("hint mentions a default port:\n%s", hint)
	}

	off := m.Hint("/tmp/kubeconfig", Addresses{XDS: ":25010", Monitoring: "0"})
	if lines := sailctlLines(off); len(lines) != 2 || strings.Contains(off, "proxy-status --") {
		t.Errorf("with monitoring off, want only the two calls, got:\n%s", off)
	}
}

func sailctlLines(hint string) []string {
	var out []string
	for _, l := range strings.Split(hint, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "go run ./cmd/sailctl ") {
			out = append(out, l)
		}
	}
	return out
}

// TestLastApplied: the annotation is the object as a manifest would hold
// it, with nothing the server fills in.
func TestLastApplied(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := networkingv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	vs := &networkingv1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Name: "reviews", Namespace: Namespace},
		Spec:       networkingv1.VirtualServiceSpec{Hosts: []string{Host}},
	}
	if err := withLastApplied(vs, scheme); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(vs.Annotations[LastAppliedAnnotation]), &got); err != nil {
		t.Fatalf("annotation is not JSON: %v", err)
	}
	if got["apiVersion"] != "networking.istio.io/v1" || got["kind"] != "VirtualService" {
		t.Errorf("annotation type %v/%v, want networking.istio.io/v1 VirtualService", got["apiVersion"], got["kind"])
	}
	if _, ok := got["status"]; ok {
		t.Errorf("annotation carries status: %v", got)
	}
	meta, _ := got["metadata"].(map[string]any)
	if len(meta) != 2 || meta["name"] != "reviews" || meta["namespace"] != Namespace {
		t.Errorf("annotation metadata %v, want only name and namespace", meta)
	}
	spec, _ := got["spec"].(map[string]any)
	if hosts, _ := spec["hosts"].([]any); len(hosts) != 1 || hosts[0] != Host {
		t.Errorf("annotation spec %v, want hosts [%s]", spec, Host)
	}
}
