package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/corpus"
)

func bookinfo(t *testing.T, name string) string {
	t.Helper()
	d, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(d, "bookinfo", name)
}

func TestTranslateBookinfo(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"x", "translate",
		"-f", bookinfo(t, "platform-bookinfo.yaml"),
		"-f", bookinfo(t, "destination-rule-all.yaml"),
		"-f", bookinfo(t, "virtual-service-reviews-test-v2.yaml"),
		"--proxy", "productpage-v1.default"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var dump struct {
		Configs []map[string]any `json:"configs"`
	}
	if err := json.Unmarshal(out.Bytes(), &dump); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	wantTypes := []string{"ListenersConfigDump", "RoutesConfigDump", "ClustersConfigDump", "EndpointsConfigDump"}
	if len(dump.Configs) != len(wantTypes) {
		t.Fatalf("want %d config sections, got %d", len(wantTypes), len(dump.Configs))
	}
	for i, w := range wantTypes {
		if typ, _ := dump.Configs[i]["@type"].(string); !strings.HasSuffix(typ, w) {
			t.Errorf("section %d is %s, want %s", i, typ, w)
		}
	}
	for _, want := range []string{`"virtualOutbound"`, `"virtualInbound"`, `"0.0.0.0_9080"`, `"outbound|9080|v2|reviews.default.svc.cluster.local"`, `"jason"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("config dump lacks %s", want)
		}
	}
}

func TestTranslateErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\nkind: [\n"), 0o644)
	side := filepath.Join(dir, "envoyfilter.yaml")
	_ = os.WriteFile(side, []byte("apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: default}\nspec: {}\n"), 0o644)
	for _, tc := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"x", "translate", "-f", bad, "--proxy", "a.default"}, 1, bad + "#2:"},
		{[]string{"x", "translate", "-f", side, "--proxy", "a.default"}, 1, "EnvoyFilter default/default (networking.istio.io/v1alpha3) is not served by sailplane"},
		{[]string{"x", "translate", "-f", side, "--proxy", "a.default"}, 1, "proxy default/a: no such pod"},
		{[]string{"x", "translate", "-f", filepath.Join(dir, "missing.yaml"), "--proxy", "a"}, 1, "no such file"},
		{[]string{"x", "translate", "--proxy", "a"}, 2, "-f and --proxy are required"},
		{[]string{"frobnicate"}, 2, "usage: sailctl"},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String(), tc.inStderr) {
			t.Errorf("sailctl %v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut.String(), tc.code, tc.inStderr)
		}
	}
}

// --generator grpc shows what a proxyless gRPC client in the pod gets: an
// api_listener per dial name, no capture listeners, ROUND_ROBIN clusters.
func TestTranslateProxyless(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"x", "translate",
		"-f", bookinfo(t, "platform-bookinfo.yaml"),
		"-f", bookinfo(t, "destination-rule-all.yaml"),
		"--proxy", "productpage-v1.default", "--generator", "grpc"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{`"reviews:9080"`, `"reviews.default.svc.cluster.local:9080"`, `"apiListener"`, `"outbound|9080|v2|reviews.default.svc.cluster.local"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("proxyless config dump lacks %s", want)
		}
	}
	for _, unwanted := range []string{`"virtualOutbound"`, `"LEAST_REQUEST"`} {
		if strings.Contains(out.String(), unwanted) {
			t.Errorf("proxyless config dump has %s", unwanted)
		}
	}
	if code := run([]string{"x", "translate", "-f", bookinfo(t, "platform-bookinfo.yaml"), "--proxy", "productpage-v1.default", "--generator", "envoy"}, &out, &errOut); code != 2 {
		t.Errorf("--generator envoy: exit %d, want 2", code)
	}
}

// --generator grpc-mtls is the proxyless client holding a certificate: its
// clusters to meshed services name the certificate provider instance, its
// server listeners exist; --generator grpc (the plaintext port) has no
// TLS at all.
func TestTranslateProxylessMTLS(t *testing.T) {
	in := filepath.Join("..", "..", "internal", "translate", "testdata", "grpc-mtls.base.yaml")
	dump := func(gen string) string {
		var out, errOut bytes.Buffer
		if code := run([]string{"x", "translate", "-f", in, "--proxy", "checkout.shop", "--generator", gen}, &out, &errOut); code != 0 {
			t.Fatalf("--generator %s: exit %d: %s", gen, code, errOut.String())
		}
		return out.String()
	}
	mtls, plain := dump("grpc-mtls"), dump("grpc")
	for _, want := range []string{`"tlsCertificateProviderInstance"`, `"xds.istio.io/grpc/lds/inbound/10.244.8.10:7070"`, `"spiffe://cluster.local/ns/shop/sa/cart"`} {
		if !strings.Contains(mtls, want) {
			t.Errorf("grpc-mtls config dump lacks %s", want)
		}
	}
	if strings.Contains(plain, `"tlsCertificateProviderInstance"`) || !strings.Contains(plain, `"xds.istio.io/grpc/lds/inbound/10.244.8.10:7070"`) {
		t.Errorf("grpc config dump: want plaintext server listeners and no certificate provider")
	}
}
