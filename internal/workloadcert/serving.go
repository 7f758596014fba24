package workloadcert

import (
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/defaults"
)

// Serving is the authenticated xDS port's serving certificate, issued by
// the mesh CA for the control plane's Service names (the names injected
// proxies dial and check) and loopback (local mode), and renewed like a
// workload's: once half its lifetime has passed, or when the CA changes.
type Serving struct {
	ca    func() *ca.CA
	dns   []string
	ips   []net.IP
	ttl   time.Duration
	now   func() time.Time
	mu    sync.Mutex
	cert  *tls.Certificate
	by    *ca.CA
	renew time.Time
}

// NewServing returns the serving certificate of the control plane in
// namespace, for the trust domain's DNS suffix.
func NewServing(current func() *ca.CA, namespace string, ttl time.Duration, now func() time.Time) *Serving {
	return &Serving{ca: current, dns: ServingNames(namespace), ips: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, ttl: ttl, now: now}
}

// ServingNames are the DNS names of the control plane's Service, as a
// proxy may dial them, plus localhost.
func ServingNames(namespace string) []string {
	svc := defaults.ControlPlaneService
	return []string{
		svc,
		svc + "." + namespace,
		svc + "." + namespace + ".svc",
		svc + "." + namespace + ".svc." + defaults.DomainSuffix,
		"localhost",
	}
}

// GetCertificate is tls.Config's hook: the current certificate, issued or
// renewed first when due.
func (s *Serving) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	signer := s.ca()
	if signer == nil {
		return nil, fmt.Errorf("no mesh CA loaded yet")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cert != nil && sameCA(s.by, signer) && now.Before(s.renew) {
		return s.cert, nil
	}
	c, err := signer.IssueServing(s.dns, s.ips, s.ttl, now)
	if err != nil {
		return nil, fmt.Errorf("issuing the xDS serving certificate: %w", err)
	}
	s.cert, s.by = &c, signer
	s.renew = c.Leaf.NotBefore.Add(c.Leaf.NotAfter.Sub(c.Leaf.NotBefore) / 2)
	return s.cert, nil
}

// TLSConfig is the authenticated port's TLS configuration: this serving
// certificate, and client certificates verified against the mesh roots
// when a caller presents one (a caller may present a token instead). The
// roots are read per handshake, so a rotated trust bundle applies to the
// next connection.
func (s *Serving) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			signer := s.ca()
			if signer == nil {
				return nil, fmt.Errorf("no mesh CA loaded yet")
			}
			return &tls.Config{
				MinVersion:     tls.VersionTLS12,
				NextProtos:     []string{"h2"},
				GetCertificate: s.GetCertificate,
				ClientAuth:     tls.VerifyClientCertIfGiven,
				ClientCAs:      signer.Roots(),
			}, nil
		},
	}
}

// sameCA compares CAs by content: the holder hands out a new pointer on
// every reload, even of the same Secret.
func sameCA(a, b *ca.CA) bool { return a == b || (a != nil && b != nil && a.Equal(b)) }
