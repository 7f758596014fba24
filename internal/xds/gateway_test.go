package xds

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

const gatewayPod = `
apiVersion: v1
kind: Pod
metadata: {name: gw, namespace: edge, labels: {istio: ingressgateway}}
spec: {containers: [{name: istio-proxy, image: envoy, ports: [{name: http-alt, containerPort: 8080}]}]}
status: {podIP: 10.2.0.1}
`

// generateFor translates for a pod, as a gateway when a Gateway selects
// it (as sailctl decides).
func generateFor(t *testing.T, ns, pod string, docs ...string) *Resources {
	t.Helper()
	b := &bundle.Bundle{}
	all := append([]string{mesh, gatewayPod}, docs...)
	if _, err := b.Decode("test.yaml", strings.NewReader(strings.Join(all, "\n---\n"))); err != nil {
		t.Fatal(err)
	}
	m := model.Build(b)
	w := m.Pods[typesNN(ns, pod)]
	if w == nil {
		t.Fatalf("pod %s missing", pod)
	}
	p := Proxy{Type: names.Sidecar, Namespace: ns, Labels: w.Labels, IP: w.IP, Workload: w}
	for _, gw := range m.Gateways {
		if selects(gw.Spec.Selector, w.Labels) {
			p.Type = names.Router
		}
	}
	r := Generate(m, p)
	for _, pr := range r.Problems {
		m.Status.Add(pr.Object, pr.Field, "%s", pr.Reason)
	}
	r.Problems = nil
	for _, l := range m.Status.Lines() {
		r.Problems = append(r.Problems, ObjectProblem{Problem: model.Problem{Reason: l}})
	}
	return r
}

func problems(r *Resources) string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.Reason)
	}
	return strings.Join(out, "\n")
}

func listenerNames(r *Resources) string {
	var out []string
	for _, l := range r.Listeners {
		out = append(out, l.Name)
	}
	return strings.Join(out, ",")
}

func gatewayDoc(servers string) string {
	return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:` + servers
}

const reviewsVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: ["*"]
  gateways: [edge/gw]
  http: [{route: [{destination: {host: reviews, port: {number: 9080}}}]}]
  tcp: [{route: [{destination: {host: reviews, port: {number: 7070}}}]}]
`

func TestGatewayPortClashesLeaveTheLaterServerOut(t *testing.T) {
	r := generateFor(t, "edge", "gw", reviewsVS, gatewayDoc(`
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 80, name: tcp, protocol: TCP}
    hosts: ["*"]
  - port: {number: 443, name: tls-a, protocol: TLS}
    hosts: [a.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 443, name: tls-b, protocol: TLS}
    hosts: [b.example.com, a.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: ISTIO_MUTUAL, credentialName: edge-cert}
  - port: {number: 9443, name: https, protocol: HTTPS}
    hosts: ["*"]`))
	got := problems(r)
	for _, want := range []string{
		"servers[1].port: port 80 already carries HTTP for Gateway edge/gw servers[0]",
		`servers[3].hosts[1]: host "a.example.com" on port 443 is already served by Gateway edge/gw servers[2]`,
		"servers[4].tls.credentialName: ISTIO_MUTUAL uses the gateway's workload certificate; credentialName must not be set",
		"servers[5].tls: a HTTPS server needs tls settings",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if listenerNames(r) != "0.0.0.0_80" {
		t.Errorf("listeners %s; want only 0.0.0.0_80 (443 has no tls route, the others are left out)", listenerNames(r))
	}
	if errs := CheckConsistency(r); len(errs) > 0 {
		t.Errorf("inconsistent: %v", errs)
	}
}

// A Service selecting the gateway pod maps a Gateway port to its target
// port, by number or by the container port's name.
func TestGatewayListensOnTheServiceTargetPort(t *testing.T) {
	svc := `
apiVersion: v1
kind: Service
metadata: {name: ingress, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  ports: [{name: http2, port: 80, targetPort: http-alt}, {name: https, port: 443, targetPort: 8443}]
`
	r := generateFor(t, "edge", "gw", svc, reviewsVS, gatewayDoc(`
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ["*"]`))
	if got := listenerNames(r); got != "0.0.0.0_31400,0.0.0.0_8080" {
		t.Errorf("listeners %s", got)
	}
	if len(r.Routes) != 1 || r.Routes[0].Name != "http.8080" || r.Routes[0].VirtualHosts[0].Name != "*:80" {
		t.Errorf("routes %v; want http.8080 with virtual host *:80 (clients still say port 80)", r.Routes)
	}
}

func TestGatewayWithoutBoundRulesAnswers404(t *testing.T) {
	r := generateFor(t, "edge", "gw", gatewayDoc(`
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]`))
	if len(r.Routes) != 1 || r.Routes[0].VirtualHosts[0].Name != "blackhole:80" || len(r.Routes[0].VirtualHosts[0].Routes) != 0 {
		t.Errorf("routes %v", r.Routes)
	}
}

// DestinationRule credentialName: the Secret comes from the proxy's
// namespace; a missing one is reported against the rule's field, and
// CheckConsistency sees the dangling SDS reference.
func TestDestinationRuleCredentialsAreServedFromTheProxyNamespace(t *testing.T) {
	cert, key := testKeyPair(t)
	secret := fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: client, namespace: default}
type: kubernetes.io/tls
stringData:
  tls.crt: %q
  tls.key: %q
  ca.crt: %q
`, cert, key, cert)
	dr := func(cred string) string {
		return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    portLevelSettings:
    - port: {number: 9080}
      tls: {mode: MUTUAL, credentialName: ` + cred + `}
`
	}
	r := generateFor(t, "default", "reviews-v1", secret, dr("client"))
	if len(r.Secrets) != 2 || r.Secrets[0].Name != "kubernetes://client" || r.Secrets[1].Name != "kubernetes://client-cacert" {
		t.Errorf("secrets %v", r.Secrets)
	}
	if errs := CheckConsistency(r); len(errs) > 0 {
		t.Errorf("inconsistent: %v", errs)
	}
	r = generateFor(t, "default", "reviews-v1", secret, dr("gone"))
	if got := problems(r); !strings.Contains(got, "DestinationRule default/reviews: trafficPolicy.portLevelSettings[0].tls.credentialName: cluster outbound|9080||reviews.default.svc.cluster.local cannot present or verify certificates: Secret default/gone not found") {
		t.Errorf("problems:\n%s", got)
	}
	errs := fmt.Sprint(CheckConsistency(r))
	if !strings.Contains(errs, `SDS secret "kubernetes://gone" missing`) {
		t.Errorf("CheckConsistency missed the missing secret: %s", errs)
	}
}

func TestCheckConsistencyWantsTheRightKindOfSecret(t *testing.T) {
	cert, key := testKeyPair(t)
	secret := fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: web, namespace: edge}
stringData: {tls.crt: %q, tls.key: %q, ca.crt: %q}
`, cert, key, cert)
	r := generateFor(t, "edge", "gw", secret, reviewsVS, gatewayDoc(`
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: MUTUAL, credentialName: web}`))
	if errs := CheckConsistency(r); len(errs) > 0 || len(r.Secrets) != 2 {
		t.Fatalf("inconsistent: %v; secrets %v", errs, r.Secrets)
	}
	r.Secrets[0], r.Secrets[1] = r.Secrets[1], r.Secrets[0]
	r.Secrets[0].Name, r.Secrets[1].Name = r.Secrets[1].Name, r.Secrets[0].Name
	errs := fmt.Sprint(CheckConsistency(r))
	for _, want := range []string{`"kubernetes://web" is not a TLS certificate`, `"kubernetes://web-cacert" is not a validation context`} {
		if !strings.Contains(errs, want) {
			t.Errorf("CheckConsistency missed %s: %s", want, errs)
		}
	}
	r.Secrets = nil
	if errs := fmt.Sprint(CheckConsistency(r)); !strings.Contains(errs, `listener 0.0.0.0_443: SDS secret "kubernetes://web" missing`) {
		t.Errorf("CheckConsistency missed the missing secret: %s", errs)
	}
}

// testKeyPair makes a throwaway self-signed certificate and its key.
func testKeyPair(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}
