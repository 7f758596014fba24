package trust

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	securityv1alpha1 "istio.io/api/security/v1alpha1"

	"github.com/sailplane/sailplane/internal/defaults"
)

func csrFor(t *testing.T, spiffe string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(spiffe)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{URIs: []*url.URL{u}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// Istio's CSR API signs for the caller's own identity and no other.
func TestCreateCertificateOnlyForOwnIdentity(t *testing.T) {
	w := makeWorkload(t, "trust-csr", "grpc-server", "grpc-server-1", "10.16.0.5", nil)
	roots, _ := meshRoots(t, w.ns)
	conn := dial(t, cp.secure, dialOpts{tls: proxyTLS(roots), token: boundToken(t, w, defaults.TokenAudience)})
	certs := securityv1alpha1.NewIstioCertificateServiceClient(conn)

	own := "spiffe://cluster.local/ns/trust-csr/sa/grpc-server"
	resp, err := certs.CreateCertificate(context.Background(), &securityv1alpha1.IstioCertificateRequest{Csr: csrFor(t, own), ValidityDuration: 3600})
	if err != nil {
		t.Fatalf("CreateCertificate for its own identity: %v", err)
	}
	chain := resp.GetCertChain()
	if len(chain) < 2 {
		t.Fatalf("chain has %d certificates, want the leaf and the root", len(chain))
	}
	leaf := parseCert(t, chain[0])
	if len(leaf.URIs) != 1 || leaf.URIs[0].String() != own {
		t.Fatalf("issued certificate names %v, want %s", leaf.URIs, own)
	}
	root := parseCert(t, chain[len(chain)-1])
	published := x509.NewCertPool()
	published.AddCert(root)
	if !roots.Equal(published) && !containsCert(t, roots, root) {
		t.Error("the chain's last certificate is not a published root")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1 : len(chain)-1] {
		inter.AddCert(parseCert(t, c))
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("issued certificate does not chain to the published root: %v", err)
	}

	for _, other := range []string{"spiffe://cluster.local/ns/trust-csr/sa/someone-else", "spiffe://cluster.local/ns/kube-system/sa/grpc-server"} {
		_, err := certs.CreateCertificate(context.Background(), &securityv1alpha1.IstioCertificateRequest{Csr: csrFor(t, other), ValidityDuration: 3600})
		if st := status.Convert(err); st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), own) && !strings.Contains(st.Message(), other) {
			t.Errorf("CSR for %s: got %s %q, want PermissionDenied naming the identities", other, st.Code(), st.Message())
		}
	}
}

func parseCert(t *testing.T, p string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		t.Fatalf("not PEM: %q", p)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func containsCert(t *testing.T, pool *x509.CertPool, c *x509.Certificate) bool {
	t.Helper()
	_, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}
