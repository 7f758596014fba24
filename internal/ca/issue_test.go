package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/identity"
)

var oidSAN = []int{2, 5, 29, 17}

// bothCAs is a self-signed CA and a plugged one (intermediate under a
// root), which every issuing test runs against.
func bothCAs(t *testing.T) map[string]*CA {
	root := selfSigned(t)
	return map[string]*CA{"self-signed": mustCA(t, root, false), "plugged": mustCA(t, pluggedData(t, root, 30*24*time.Hour), true)}
}

func TestIssueWorkloadIsAnSVID(t *testing.T) {
	for name, c := range bothCAs(t) {
		t.Run(name, func(t *testing.T) {
			ttl := 3 * time.Second
			kp, err := c.IssueWorkload(alice, ttl, t0)
			if err != nil {
				t.Fatal(err)
			}
			chain := parsePEMChain(t, kp.CertChainPEM)
			leaf := chain[0]
			want := map[string]int{"self-signed": 1, "plugged": 2}[name]
			if len(chain) != want {
				t.Fatalf("chain holds %d certificates, want %d (leaf and intermediates, no root)", len(chain), want)
			}
			for _, u := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
				if err := verify(leaf, chain[1:], c.Roots(), t0, u); err != nil {
					t.Errorf("usage %v: %v", u, err)
				}
			}
			assertOnlySPIFFE(t, leaf, alice.SPIFFE())
			if leaf.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
				t.Errorf("key usage %v", leaf.KeyUsage)
			}
			if back := t0.Sub(leaf.NotBefore); back < 0 || back > ttl/10+time.Second {
				t.Errorf("NotBefore is %s before now; want at most a tenth of %s (plus second rounding)", back, ttl)
			}
			if leaf.NotAfter.After(t0.Add(ttl)) || leaf.NotAfter.Before(t0.Add(ttl-time.Second)) {
				t.Errorf("NotAfter %s, want about now+%s", leaf.NotAfter, ttl)
			}
			if !kp.NotBefore.Equal(leaf.NotBefore) || !kp.NotAfter.Equal(leaf.NotAfter) {
				t.Error("KeyPair validity differs from the certificate's")
			}
			if _, err := tls.X509KeyPair(kp.CertChainPEM, kp.KeyPEM); err != nil {
				t.Errorf("key does not match certificate: %v", err)
			}
			if err := verify(leaf, chain[1:], c.Roots(), t0.Add(ttl+time.Second), 0); err == nil {
				t.Error("certificate still verifies after its lifetime")
			}
		})
	}
}

// assertOnlySPIFFE checks an X.509 SVID's naming: empty subject, one URI
// SAN, no other name, the SAN extension critical.
func assertOnlySPIFFE(t *testing.T, leaf *x509.Certificate, id string) {
	t.Helper()
	if len(leaf.URIs) != 1 || leaf.URIs[0].String() != id {
		t.Errorf("URI SANs %v, want [%s]", leaf.URIs, id)
	}
	if len(leaf.DNSNames)+len(leaf.IPAddresses)+len(leaf.EmailAddresses) != 0 {
		t.Errorf("extra SANs: %v %v %v", leaf.DNSNames, leaf.IPAddresses, leaf.EmailAddresses)
	}
	if s := leaf.Subject.String(); s != "" {
		t.Errorf("subject %q, want empty", s)
	}
	critical := false
	for _, e := range leaf.Extensions {
		if e.Id.Equal(oidSAN) {
			critical = e.Critical
		}
	}
	if !critical {
		t.Error("SAN extension is not critical")
	}
	if leaf.IsCA {
		t.Error("leaf is a CA")
	}
}

func TestLifetimeEndsWithTheSigningCert(t *testing.T) {
	c := mustCA(t, pluggedData(t, selfSigned(t), time.Hour), true)
	kp, err := c.IssueWorkload(alice, 24*time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !c.NotAfter().Equal(c.SigningCert().NotAfter) {
		t.Errorf("CA NotAfter %s, want the intermediate's %s", c.NotAfter(), c.SigningCert().NotAfter)
	}
	if want := c.SigningCert().NotAfter; !kp.NotAfter.Equal(want) {
		t.Errorf("NotAfter %s, want the intermediate's %s", kp.NotAfter, want)
	}
	if _, err := c.IssueWorkload(alice, time.Hour, t0.Add(2*time.Hour)); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("issuing after the intermediate expired: %v", err)
	}
	if _, err := c.IssueWorkload(alice, 0, t0); err == nil || !strings.Contains(err.Error(), "not positive") {
		t.Errorf("zero ttl: %v", err)
	}
	if _, err := c.IssueWorkload(identity.Identity{TrustDomain: "cluster.local", Namespace: "a/b", ServiceAccount: "x"}, time.Hour, t0); err == nil {
		t.Error("an identity with a slash in its namespace was issued")
	}
}

// csrFor builds a CSR signed by key with the given names.
func csrFor(t *testing.T, key any, tmpl *x509.CertificateRequest) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("CERTIFICATE REQUEST", der)
}

func uris(t *testing.T, ids ...string) []*url.URL {
	var out []*url.URL
	for _, id := range ids {
		u, err := url.Parse(id)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

func TestSignCSR(t *testing.T) {
	for name, c := range bothCAs(t) {
		t.Run(name, func(t *testing.T) {
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			// istio-agent's CSRs carry a subject; the CA ignores it.
			csr := csrFor(t, key, &x509.CertificateRequest{Subject: pkix.Name{Organization: []string{"cluster.local"}}, URIs: uris(t, alice.SPIFFE())})
			out, err := c.SignCSR(csr, alice, time.Hour, t0)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{"self-signed": 2, "plugged": 3}[name]; len(out) != want {
				t.Fatalf("response holds %d certificates, want %d (leaf, intermediates, root)", len(out), want)
			}
			var chain []*x509.Certificate
			for _, p := range out {
				chain = append(chain, parsePEMChain(t, p)...)
			}
			if !chain[len(chain)-1].Equal(c.root) {
				t.Error("last certificate is not the root")
			}
			leaf := chain[0]
			if !leaf.PublicKey.(*ecdsa.PublicKey).Equal(key.Public()) {
				t.Error("leaf is not for the CSR's key")
			}
			assertOnlySPIFFE(t, leaf, alice.SPIFFE())
			if err := verify(leaf, chain[1:len(chain)-1], c.Roots(), t0, x509.ExtKeyUsageClientAuth); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSignCSRRefuses(t *testing.T) {
	c := mustCA(t, selfSigned(t), false)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	bob := alice
	bob.ServiceAccount = "bob"
	good := csrFor(t, key, &x509.CertificateRequest{URIs: uris(t, alice.SPIFFE())})
	tampered := corruptSignature(t, good)
	cases := []struct {
		name string
		csr  []byte
		want string
	}{
		{"DNS name", csrFor(t, key, &x509.CertificateRequest{URIs: uris(t, alice.SPIFFE()), DNSNames: []string{"evil.example"}}), "asks for DNS names [evil.example]"},
		{"IP address", csrFor(t, key, &x509.CertificateRequest{URIs: uris(t, alice.SPIFFE()), IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}}), "asks for IP addresses"},
		{"email", csrFor(t, key, &x509.CertificateRequest{URIs: uris(t, alice.SPIFFE()), EmailAddresses: []string{"a@b.c"}}), "asks for email addresses"},
		{"no URI", csrFor(t, key, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}), "asks for 0 URI names"},
		{"two URIs", csrFor(t, key, &x509.CertificateRequest{URIs: uris(t, alice.SPIFFE(), bob.SPIFFE())}), "asks for 2 URI names"},
		{"another identity", csrFor(t, key, &x509.CertificateRequest{URIs: uris(t, bob.SPIFFE())}), "asks for spiffe://cluster.local/ns/shop/sa/bob, but the caller is spiffe://cluster.local/ns/shop/sa/alice"},
		{"weak key", csrFor(t, weak, &x509.CertificateRequest{URIs: uris(t, alice.SPIFFE())}), "RSA key of 1024 bits is too weak"},
		{"bad signature", tampered, "CSR signature does not verify"},
		{"not PEM", []byte("hello"), "CSR is not PEM"},
		{"a certificate", []byte(encodeCert(c.SigningCert().Raw)), `CSR PEM block is "CERTIFICATE"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.SignCSR(tc.csr, alice, time.Hour, t0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SignCSR = %d certs, %v; want an error containing %q", len(out), err, tc.want)
			}
			if isOther := errors.Is(err, ErrOtherIdentity); isOther != (tc.name == "another identity") {
				t.Errorf("errors.Is(ErrOtherIdentity) = %v", isOther)
			}
		})
	}
}

// corruptSignature re-encodes a CSR with the last byte of its signature
// flipped: still parseable, no longer signed by its key.
func corruptSignature(t *testing.T, csrPEM []byte) []byte {
	t.Helper()
	csr, err := parseCSRUnchecked(csrPEM)
	if err != nil {
		t.Fatal(err)
	}
	der := append([]byte{}, csr.Raw...)
	// The signature is the DER's tail; flip a bit inside it.
	der[len(der)-3] ^= 0x01
	return pemBlock("CERTIFICATE REQUEST", der)
}

func parseCSRUnchecked(b []byte) (*x509.CertificateRequest, error) {
	blocks := parsePEMBlocks(b)
	return x509.ParseCertificateRequest(blocks[0])
}

func TestIssueServing(t *testing.T) {
	for name, c := range bothCAs(t) {
		t.Run(name, func(t *testing.T) {
			dns := []string{"sailplane.sailplane-system.svc", "istiod.sailplane-system.svc"}
			cert, err := c.IssueServing(dns, []net.IP{net.ParseIP("127.0.0.1")}, time.Hour, t0)
			if err != nil {
				t.Fatal(err)
			}
			if cert.Leaf == nil || len(cert.Certificate) != 1+len(c.intermediates) {
				t.Fatalf("Leaf %v, %d certificates", cert.Leaf != nil, len(cert.Certificate))
			}
			var rest []*x509.Certificate
			for _, der := range cert.Certificate[1:] {
				ic, _ := x509.ParseCertificate(der)
				rest = append(rest, ic)
			}
			inter := x509.NewCertPool()
			for _, ic := range rest {
				inter.AddCert(ic)
			}
			for _, host := range []string{dns[1], "127.0.0.1"} {
				if _, err := cert.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: c.Roots(), Intermediates: inter, CurrentTime: t0}); err != nil {
					t.Errorf("%s: %v", host, err)
				}
			}
			if err := verify(cert.Leaf, rest, c.Roots(), t0, x509.ExtKeyUsageClientAuth); err == nil {
				t.Error("serving certificate is usable as a client certificate")
			}
		})
	}
	if _, err := bothCAs(t)["plugged"].IssueServing(nil, nil, time.Hour, t0); err == nil {
		t.Error("a serving certificate with no names was issued")
	}
}
