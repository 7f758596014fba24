package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/inject"
)

const bookinfoManifest = "../../internal/inject/testdata/manifests/bookinfo.in.yaml"

// TestKubeInject runs the command as a user would and checks that it
// writes exactly what the injection package produces, to stdout and to -o.
func TestKubeInject(t *testing.T) {
	raw, err := os.ReadFile(bookinfoManifest)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := inject.InjectManifests(bytes.NewReader(raw), inject.DefaultSettings().Complete("sailplane-system"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"kube-inject", "-f", bookinfoManifest}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !bytes.Equal(stdout.Bytes(), want) {
		t.Error("stdout differs from inject.InjectManifests")
	}
	if !strings.Contains(stderr.String(), "DaemonSet node-agent: not injected: hostNetwork") {
		t.Errorf("reports on stderr missing:\n%s", stderr.String())
	}

	out := filepath.Join(t.TempDir(), "injected.yaml")
	stdout.Reset()
	if code := run([]string{"kube-inject", "-f", bookinfoManifest, "-o", out}, &stdout, &stderr); code != 0 || stdout.Len() != 0 {
		t.Fatalf("exit %d, stdout %d bytes", code, stdout.Len())
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Error("-o file differs from inject.InjectManifests")
	}
}

func TestKubeInjectFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"kube-inject", "-f", bookinfoManifest, "--namespace=mesh", "--proxy-image=registry.example/envoy:1", "--native-sidecars"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"target_uri: sailplane.mesh.svc:15012", "image: registry.example/envoy:1", "restartPolicy: Always"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestKubeInjectFails(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	doc := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {traffic.sidecar.istio.io/includeInboundPorts: \"0\"}}\nspec: {containers: [{name: a, image: b}]}\n"
	if err := os.WriteFile(bad, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"kube-inject"}, 2, "-f is required"},
		{[]string{"kube-inject", "-f", bad}, 1, "traffic.sidecar.istio.io/includeInboundPorts"},
		{[]string{"kube-inject", "-f", "/does/not/exist"}, 1, "no such file"},
		{[]string{"kube-inject", "-f", bad, "--hold-application-until-proxy-starts"}, 2, "nativeSidecars"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr.String(), tc.code, tc.msg)
		}
	}
}

// TestKubeInjectIstioBookinfo injects Istio's own bookinfo manifest: every
// Deployment gets the sidecar, everything else comes through.
func TestKubeInjectIstioBookinfo(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"kube-inject", "-f", bookinfo(t, "platform-bookinfo.yaml")}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	deployments := strings.Count(stderr.String(), "Deployment ")
	injected := strings.Count(stderr.String(), ": injected: ")
	if deployments == 0 || injected != deployments {
		t.Errorf("%d of %d Deployments injected:\n%s", injected, deployments, stderr.String())
	}
	if got := strings.Count(stdout.String(), "name: "+"istio-proxy"); got != deployments {
		t.Errorf("%d istio-proxy containers for %d Deployments", got, deployments)
	}
	for _, kind := range []string{"kind: Service", "kind: ServiceAccount"} {
		if !strings.Contains(stdout.String(), kind) {
			t.Errorf("%s lost", kind)
		}
	}
}
