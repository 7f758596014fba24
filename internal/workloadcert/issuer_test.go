package workloadcert

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/names"
)

func newCA(t *testing.T, now time.Time) *ca.CA {
	t.Helper()
	data, err := ca.NewSelfSignedSecretData("cluster.local", now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.FromSecretDataAt(data, false, now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func leafOf(t *testing.T, secrets []*tlsv3.Secret) *x509.Certificate {
	t.Helper()
	for _, s := range secrets {
		if s.Name != names.WorkloadCertSecret {
			continue
		}
		block, _ := pem.Decode(s.GetTlsCertificate().GetCertificateChain().GetInlineBytes())
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Fatal("no default secret")
	return nil
}

var reviews = identity.Identity{TrustDomain: "cluster.local", Namespace: "bookinfo", ServiceAccount: "reviews", PodName: "reviews-1", PodUID: "u1"}

func TestIssuerKeepsThenRenewsAtHalfLife(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	authority := newCA(t, clk.t)
	i := New(func() *ca.CA { return authority }, time.Hour, clk.now)
	first, err := i.Secrets(reviews)
	if err != nil {
		t.Fatal(err)
	}
	leaf := leafOf(t, first)
	if got := leaf.URIs[0].String(); got != "spiffe://cluster.local/ns/bookinfo/sa/reviews" {
		t.Fatalf("certificate names %s", got)
	}
	// Another pod of the same service account shares the certificate.
	other := reviews
	other.PodName, other.PodUID = "reviews-2", "u2"
	if again, _ := i.Secrets(other); &again[0] != &first[0] {
		t.Error("a second pod of the service account got a certificate of its own")
	}
	due, ok := i.NextRenewal()
	if !ok || !due.Equal(leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore)/2)) {
		t.Fatalf("next renewal %s, want half of %s..%s", due, leaf.NotBefore, leaf.NotAfter)
	}
	clk.t = due.Add(-time.Second)
	if before, _ := i.Secrets(reviews); &before[0] != &first[0] {
		t.Error("renewed before half of the lifetime had passed")
	}
	clk.t = due
	renewed, _ := i.Secrets(reviews)
	if leafOf(t, renewed).SerialNumber.Cmp(leaf.SerialNumber) == 0 {
		t.Error("not renewed once half of the lifetime had passed")
	}
}

func TestIssuerReissuesWhenTheCAChanges(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	authority := newCA(t, clk.t)
	i := New(func() *ca.CA { return authority }, time.Hour, clk.now)
	first, _ := i.Secrets(reviews)
	authority = newCA(t, clk.t)
	second, err := i.Secrets(reviews)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leafOf(t, second).Verify(x509.VerifyOptions{CurrentTime: clk.t, Roots: authority.Roots(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("after a CA change the certificate does not chain to the new CA: %v", err)
	}
	if leafOf(t, first).SerialNumber.Cmp(leafOf(t, second).SerialNumber) == 0 {
		t.Error("same certificate after the CA changed")
	}
}

func TestIssuerRetainForgetsGoneIdentities(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	authority := newCA(t, clk.t)
	i := New(func() *ca.CA { return authority }, time.Hour, clk.now)
	first, _ := i.Secrets(reviews)
	i.Retain(map[string]bool{})
	if _, ok := i.NextRenewal(); ok {
		t.Error("a forgotten identity is still due for renewal")
	}
	if again, _ := i.Secrets(reviews); &again[0] == &first[0] {
		t.Error("a forgotten certificate was handed out again")
	}
}

func TestIssuerWithoutCA(t *testing.T) {
	i := New(func() *ca.CA { return nil }, time.Hour, time.Now)
	if _, err := i.Secrets(reviews); err == nil {
		t.Fatal("issued without a CA")
	}
}

func TestServingCertificateNamesAndRenewal(t *testing.T) {
	clk := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	authority := newCA(t, clk.t)
	s := NewServing(func() *ca.CA { return authority }, "mesh", time.Hour, clk.now)
	c, err := s.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"sailplane.mesh.svc", "sailplane.mesh.svc.cluster.local", "localhost", "127.0.0.1"} {
		if err := c.Leaf.VerifyHostname(host); err != nil {
			t.Errorf("serving certificate does not cover %s: %v", host, err)
		}
	}
	if again, _ := s.GetCertificate(nil); again != c {
		t.Error("serving certificate re-issued before it was due")
	}
	clk.t = clk.t.Add(31 * time.Minute)
	if later, _ := s.GetCertificate(nil); later == c {
		t.Error("serving certificate not renewed after half its lifetime")
	}
}
