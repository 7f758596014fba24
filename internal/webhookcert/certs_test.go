package webhookcert

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"
)

var (
	names = Options{ServiceName: "sailplane", Namespace: "sailplane-system"}.DNSNames()
	t0    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func generate(t *testing.T, now time.Time) Bundle {
	t.Helper()
	b, err := Generate(names, now, DefaultValidity)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateChecks(t *testing.T) {
	b := generate(t, t0)
	if due, err := b.Check(names, t0, DefaultRenewBefore); err != nil || due {
		t.Fatalf("fresh pair: due=%v err=%v", due, err)
	}
	if due, err := b.Check(names, t0.Add(DefaultValidity-DefaultRenewBefore+time.Hour), DefaultRenewBefore); err != nil || !due {
		t.Errorf("inside the renewal window: due=%v err=%v, want due", due, err)
	}
	if _, err := b.Check(names, t0.Add(DefaultValidity+time.Hour), DefaultRenewBefore); err == nil {
		t.Error("expired pair passed the check")
	}
	if _, err := b.Check([]string{"other.default.svc"}, t0, 0); err == nil {
		t.Error("pair passed for a name it does not carry")
	}
	other := generate(t, t0)
	if _, err := (Bundle{CertPEM: b.CertPEM, KeyPEM: other.KeyPEM, CAPEM: b.CAPEM}).Check(names, t0, 0); err == nil {
		t.Error("certificate with another key passed")
	}
	if _, err := (Bundle{CertPEM: b.CertPEM, KeyPEM: b.KeyPEM, CAPEM: other.CAPEM}).Check(names, t0, 0); err == nil {
		t.Error("certificate not signed by ca.crt passed")
	}
	if _, err := Generate(nil, t0, time.Hour); err == nil {
		t.Error("generated a certificate without names")
	}
}

// TestRenewedTrustsBoth: after renewal the new ca.crt verifies both the new
// certificate and the one replicas may still serve; CAs that expired, and
// any beyond maxCAs, are dropped.
func TestRenewedTrustsBoth(t *testing.T) {
	old := generate(t, t0)
	now := t0.Add(DefaultValidity - DefaultRenewBefore/2)
	renewed, err := Renewed(old, names, now, DefaultValidity)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(parseCerts(renewed.CAPEM)); got != 2 {
		t.Fatalf("%d CAs in ca.crt, want 2", got)
	}
	stale := Bundle{CertPEM: old.CertPEM, KeyPEM: old.KeyPEM, CAPEM: renewed.CAPEM}
	if _, err := stale.Check(names, now, 0); err != nil {
		t.Errorf("the old certificate is not trusted by the new ca.crt: %v", err)
	}
	if _, err := renewed.Check(names, now, 0); err != nil {
		t.Errorf("the new certificate: %v", err)
	}
	later, _ := Renewed(renewed, names, t0.Add(DefaultValidity+time.Hour), DefaultValidity)
	if got := len(parseCerts(later.CAPEM)); got != 2 {
		t.Errorf("%d CAs after the first CA expired, want 2", got)
	}
	b := renewed
	for range 5 {
		b, _ = Renewed(b, names, now, DefaultValidity)
	}
	if got := len(parseCerts(b.CAPEM)); got != maxCAs {
		t.Errorf("%d CAs after many renewals, want at most %d", got, maxCAs)
	}
}

// TestServesTLS: a TLS client that trusts only ca.crt, as the API server
// trusts caBundle, completes a handshake for the Service's name.
func TestServesTLS(t *testing.T) {
	b := generate(t, time.Now())
	pair, err := tls.X509KeyPair(b.CertPEM, b.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(b.CAPEM)
	conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "sailplane.sailplane-system.svc"})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	conn.Close()
	_, err = tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", l.Addr().String(), &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "sailplane.sailplane-system.svc"})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the CA connected: %v", err)
	}
}
