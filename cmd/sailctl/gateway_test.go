package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func translateTestdata(name string) string {
	return filepath.Join("..", "..", "internal", "translate", "testdata", name)
}

// TestTranslateBookinfoGateway is issue 6's "done when": the bookinfo
// ingress sample translated for the ingress gateway pod shows the
// listener, route http.<port> and the five paths routed to productpage.
// The corpus's Gateway says 8080; Istio's sample (and the seed article)
// said 80 until 1.21.
func TestTranslateBookinfoGateway(t *testing.T) {
	corpus, err := os.ReadFile(bookinfo(t, "bookinfo-gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seed := filepath.Join(t.TempDir(), "bookinfo-gateway-80.yaml")
	if err := os.WriteFile(seed, []byte(strings.Replace(string(corpus), "number: 8080", "number: 80", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for port, gw := range map[string]string{"8080": bookinfo(t, "bookinfo-gateway.yaml"), "80": seed} {
		var out, errOut bytes.Buffer
		code := run([]string{"x", "translate",
			"-f", bookinfo(t, "platform-bookinfo.yaml"), "-f", gw, "-f", translateTestdata("ingressgateway.yaml"),
			"--proxy", "istio-ingressgateway.istio-system"}, &out, &errOut)
		if code != 0 || errOut.Len() > 0 {
			t.Fatalf("port %s: exit %d: %s", port, code, errOut.String())
		}
		dump := out.String()
		for _, want := range []string{
			`"name": "0.0.0.0_` + port + `"`, `"bindToPort": true`, `"routeConfigName": "http.` + port + `"`,
			`"name": "http.` + port + `"`, `"name": "*:` + port + `"`,
			`"path": "/productpage"`, `"prefix": "/static"`, `"path": "/login"`, `"path": "/logout"`, `"prefix": "/api/v1/products"`,
			`"cluster": "outbound|9080||productpage.default.svc.cluster.local"`,
		} {
			if !strings.Contains(dump, want) {
				t.Errorf("port %s: config dump lacks %s", port, want)
			}
		}
		if strings.Contains(dump, "virtualOutbound") {
			t.Errorf("port %s: a gateway proxy got the sidecar's capture listeners", port)
		}
	}
}

// TestTranslateGatewaySecrets checks the SDS section of a gateway's dump:
// present, and with the private key redacted as Envoy's own dump does.
func TestTranslateGatewaySecrets(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"x", "translate",
		"-f", translateTestdata("mesh.base.yaml"), "-f", translateTestdata("ingressgateway.yaml"),
		"-f", translateTestdata("gateway.secrets.yaml"), "-f", translateTestdata("gateway-https-redirect.in.yaml"),
		"--proxy", "istio-ingressgateway.istio-system", "-o", "yaml"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	dump := out.String()
	for _, want := range []string{"envoy.admin.v3.SecretsConfigDump", "name: kubernetes://bookinfo-cert", "inlineString: '[redacted]'", "certificateChain:"} {
		if !strings.Contains(dump, want) {
			t.Errorf("config dump lacks %s", want)
		}
	}
	if strings.Contains(dump, "PRIVATE KEY") || strings.Contains(dump, "LS0tLS1CRUdJTiBQUklWQVRF") {
		t.Error("config dump shows a private key")
	}
}
