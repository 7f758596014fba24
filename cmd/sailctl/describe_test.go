package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/corpus"
)

// TestDescribePodOffline: manifests through kube-inject, then described
// offline, as a user would check them before applying.
func TestDescribePodOffline(t *testing.T) {
	var injected, errOut bytes.Buffer
	if code := run([]string{"kube-inject", "-f", "../../internal/describe/testdata/mesh.yaml"}, &injected, &errOut); code != 0 {
		t.Fatalf("kube-inject exit %d: %s", code, errOut.String())
	}
	file := filepath.Join(t.TempDir(), "injected.yaml")
	if err := os.WriteFile(file, injected.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	errOut.Reset()
	if code := run([]string{"x", "describe", "pod", "db-1.shop", "-f", file}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"9000  http-admin        DISABLE     port      PeerAuthentication shop/db (portLevelMtls)",
		"5432  tcp-db            PERMISSIVE  workload  PeerAuthentication shop/db",
		"outbound|6379||cache.shop.svc.cluster.local  ISTIO_MUTUAL",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestDescribePodErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"x", "describe"}, 2, "want `pod POD[.NAMESPACE]`"},
		{[]string{"x", "describe", "service", "web"}, 2, "want `pod POD[.NAMESPACE]`"},
		{[]string{"x", "describe", "pod", "nope.shop", "-f", "../../internal/describe/testdata/mesh.yaml"}, 1, "proxy shop/nope: no such pod"},
		{[]string{"x", "describe", "pod", "web-1.shop", "--kubeconfig", "/nonexistent/kubeconfig"}, 1, "no -f and no usable kubeconfig"},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", tc.args, code, errOut.String(), tc.code, tc.want)
		}
	}
}

// TestDescribeIstioSampleProbes: Istio's grpc-echo sample, through
// kube-inject, has its tcpSocket probes (on a named port) and its httpGet
// probe rewritten to 15020, and describe reads them back.
func TestDescribeIstioSampleProbes(t *testing.T) {
	dir, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	sample := filepath.Join(dir, "samples", "grpc-echo-grpc-echo.yaml")
	var injected, errOut bytes.Buffer
	if code := run([]string{"kube-inject", "-f", sample}, &injected, &errOut); code != 0 {
		t.Fatalf("kube-inject exit %d: %s", code, errOut.String())
	}
	file := filepath.Join(t.TempDir(), "injected.yaml")
	if err := os.WriteFile(file, injected.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	errOut.Reset()
	if code := run([]string{"x", "describe", "pod", "echo-v1.echo-grpc", "-f", file}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"app        liveness   HTTP GET :15020/app-health/app/livez     TCP :3333 on localhost        yes",
		"app        readiness  HTTP GET :15020/app-health/app/readyz    HTTP GET :8080/ on localhost  yes",
		"app        startup    HTTP GET :15020/app-health/app/startupz  TCP :3333 on localhost        yes",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
