package model

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

	"k8s.io/apimachinery/pkg/types"
)

func TestSecretsAndGatewayCredentials(t *testing.T) {
	cert, key := keyPair(t)
	_, otherKey := keyPair(t)
	secret := func(ns, name string, kv ...string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: %s}\nstringData:\n", name, ns)
		for i := 0; i < len(kv); i += 2 {
			fmt.Fprintf(&b, "  %s: %q\n", kv[i], kv[i+1])
		}
		return b.String()
	}
	gateway := `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: edge}
spec:
  selector: {istio: ingressgateway}
  servers:
  - {port: {number: 443, name: a, protocol: HTTPS}, hosts: [a.example.com], tls: {mode: MUTUAL, credentialName: own-ca}}
  - {port: {number: 443, name: b, protocol: HTTPS}, hosts: [b.example.com], tls: {mode: MUTUAL, credentialName: split}}
  - {port: {number: 443, name: c, protocol: HTTPS}, hosts: [c.example.com], tls: {mode: SIMPLE, credentialName: "kubernetes://generic"}}
  - {port: {number: 443, name: d, protocol: HTTPS}, hosts: [d.example.com], tls: {mode: SIMPLE, credentialName: mismatch}}
  - {port: {number: 443, name: e, protocol: HTTPS}, hosts: [e.example.com], tls: {mode: MUTUAL, credentialName: bad-ca}}
  - {port: {number: 443, name: f, protocol: HTTPS}, hosts: [f.example.com], tls: {mode: SIMPLE, credentialName: other/elsewhere}}
  - {port: {number: 443, name: g, protocol: HTTPS}, hosts: [g.example.com], tls: {mode: PASSTHROUGH, credentialName: ignored}}
`
	m := build(t, strings.Join([]string{gateway,
		secret("edge", "own-ca", "tls.crt", cert, "tls.key", key, "ca.crt", cert),
		secret("edge", "split", "tls.crt", cert, "tls.key", key),
		secret("edge", "split-cacert", "cacert", cert), // the generic key, in a CA-only Secret
		secret("edge", "generic", "cert", cert, "key", key, "cacert", cert),
		secret("edge", "mismatch", "tls.crt", cert, "tls.key", otherKey),
		secret("edge", "bad-ca", "tls.crt", cert, "tls.key", key, "ca.crt", key),
		secret("other", "elsewhere", "tls.crt", cert, "tls.key", key),
	}, "\n---\n"))
	gw := m.Gateways[0]
	for i, want := range []string{"edge/own-ca+ca", "edge/split+ca", "edge/generic", "", "", "", "-"} {
		creds, p := m.ServerCredentials(gw, i, "edge")
		got := "-"
		switch {
		case p != nil:
			got = ""
		case len(creds) == 1:
			got = creds[0].Ref.String()
			if creds[0].CA != nil {
				got += "+ca"
			}
		}
		if got != want {
			t.Errorf("server %d: %q (%v), want %q", i, got, p, want)
		}
	}
	status := strings.Join(m.Status.Lines(), "\n")
	for _, want := range []string{
		"servers[3].tls.credentialName: Secret edge/mismatch tls.crt/tls.key is not a usable key pair: tls: private key does not match public key",
		"servers[4].tls.credentialName: verifying clients needs a CA: Secret edge/bad-ca: ca.crt holds a PRIVATE KEY block",
		"servers[5].tls.credentialName: Secret other/elsewhere is in another namespace; a gateway may only use Secrets of its own namespace (edge)",
	} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
}

func TestSecretDataPrefersStringData(t *testing.T) {
	m := build(t, "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {ca.crt: bm90IHBlbQ==}\nstringData: {ca.crt: also not pem}\n"+
		"---\napiVersion: v1\nkind: Secret\nmetadata: {name: token}\ntype: kubernetes.io/service-account-token\nstringData: {ca.crt: x}\n")
	s := m.Secrets[types.NamespacedName{Namespace: "default", Name: "s"}]
	ca, err := s.CA()
	if _, _, kpErr := s.KeyPair(); string(ca) != "also not pem" || err == nil || kpErr == nil {
		t.Errorf("secret: CA %q, %v; key pair error %v", ca, err, kpErr)
	}
	if m.Secrets[types.NamespacedName{Namespace: "default", Name: "token"}] != nil {
		t.Error("a service-account token Secret is kept as TLS material")
	}
}

func keyPair(t *testing.T) (string, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}
