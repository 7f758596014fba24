package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"slices"
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
)

// newCA builds a CA from a verified path (signing cert, intermediates,
// root) and the trusted roots, already sorted and deduplicated.
func newCA(key crypto.Signer, path, roots []*x509.Certificate) *CA {
	c := &CA{signer: key, cert: path[0], root: path[len(path)-1], roots: roots, pool: x509.NewCertPool()}
	c.intermediates = slices.Clone(path[:len(path)-1])
	c.notAfter = path[0].NotAfter
	for _, p := range path {
		if p.NotAfter.Before(c.notAfter) {
			c.notAfter = p.NotAfter
		}
	}
	for _, r := range roots {
		c.pool.AddCert(r)
		c.bundle = append(c.bundle, encodeCert(r.Raw)...)
	}
	return c
}

// IssueWorkload makes a key and an X.509 SVID for id, valid for ttl.
func (c *CA) IssueWorkload(id identity.Identity, ttl time.Duration, now time.Time) (*KeyPair, error) {
	uri, err := spiffeURI(id)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("workload certificate for %s: generating key: %w", id.SPIFFE(), err)
	}
	leaf, err := c.sign(workloadTemplate(uri), key.Public(), ttl, now)
	if err != nil {
		return nil, fmt.Errorf("workload certificate for %s: %w", id.SPIFFE(), err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	return &KeyPair{CertChainPEM: c.leafChainPEM(leaf), KeyPEM: keyPEM, NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter}, nil
}

// SignCSR signs a workload's CSR for id, which must be the CSR's one and
// only subject alternative name. It returns Istio's CreateCertificate
// shape: PEM blocks leaf, intermediates..., root.
func (c *CA) SignCSR(csrPEM []byte, id identity.Identity, ttl time.Duration, now time.Time) ([][]byte, error) {
	uri, err := spiffeURI(id)
	if err != nil {
		return nil, err
	}
	csr, err := parseCSR(csrPEM)
	if err != nil {
		return nil, err
	}
	if err := checkCSRNames(csr, uri); err != nil {
		return nil, fmt.Errorf("CSR for %s: %w", id.SPIFFE(), err)
	}
	leaf, err := c.sign(workloadTemplate(uri), csr.PublicKey, ttl, now)
	if err != nil {
		return nil, fmt.Errorf("CSR for %s: %w", id.SPIFFE(), err)
	}
	out := [][]byte{encodeCert(leaf.Raw)}
	for _, ic := range c.intermediates {
		out = append(out, encodeCert(ic.Raw))
	}
	return append(out, encodeCert(c.root.Raw)), nil
}

// IssueServing makes the control plane's serving certificate for its TLS
// port: server authentication only, for the given names.
func (c *CA) IssueServing(dnsNames []string, ips []net.IP, ttl time.Duration, now time.Time) (tls.Certificate, error) {
	if len(dnsNames) == 0 && len(ips) == 0 {
		return tls.Certificate{}, errors.New("serving certificate: no DNS name or IP address to issue it for")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("serving certificate: generating key: %w", err)
	}
	tmpl := &x509.Certificate{
		DNSNames:    slices.Clone(dnsNames),
		IPAddresses: slices.Clone(ips),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leaf, err := c.sign(tmpl, key.Public(), ttl, now)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("serving certificate for %v %v: %w", dnsNames, ips, err)
	}
	chain := [][]byte{leaf.Raw}
	for _, ic := range c.intermediates {
		chain = append(chain, ic.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

// workloadTemplate is an X.509 SVID: an empty subject and one URI SAN
// (which Go then marks critical, as RFC 5280 and SPIFFE require for an
// empty subject), usable by both ends of mTLS.
func workloadTemplate(uri *url.URL) *x509.Certificate {
	return &x509.Certificate{
		URIs:        []*url.URL{uri},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
}

// sign fills in serial and validity and signs tmpl for pub.
func (c *CA) sign(tmpl *x509.Certificate, pub crypto.PublicKey, ttl time.Duration, now time.Time) (*x509.Certificate, error) {
	if err := checkPublicKey(pub); err != nil {
		return nil, err
	}
	notBefore, notAfter, err := c.validity(ttl, now)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = serial, notBefore, notAfter
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, pub, c.signer)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return x509.ParseCertificate(der)
}

// validity is [now - backdate, now + ttl] in whole seconds (what X.509
// encodes), ending no later than any certificate of the CA's path. The
// backdate absorbs small clock differences between peers; it is at most a
// tenth of ttl, so a short-lived certificate is not mostly in the past.
func (c *CA) validity(ttl time.Duration, now time.Time) (time.Time, time.Time, error) {
	if ttl <= 0 {
		return time.Time{}, time.Time{}, fmt.Errorf("lifetime %s is not positive", ttl)
	}
	if !now.Before(c.notAfter) {
		return time.Time{}, time.Time{}, fmt.Errorf("the CA's certificates expired at %s", c.notAfter.UTC().Format(time.RFC3339))
	}
	backdate := min(defaults.ClockSkewBackdate, ttl/10)
	notBefore := now.Add(-backdate).UTC().Truncate(time.Second)
	notAfter := now.Add(ttl)
	if notAfter.After(c.notAfter) {
		notAfter = c.notAfter
	}
	notAfter = notAfter.UTC().Truncate(time.Second)
	if !notAfter.After(now) {
		return time.Time{}, time.Time{}, fmt.Errorf("lifetime %s ends before the next whole second", ttl)
	}
	return notBefore, notAfter, nil
}

// leafChainPEM is the leaf and the intermediates, PEM.
func (c *CA) leafChainPEM(leaf *x509.Certificate) []byte {
	return append(encodeCert(leaf.Raw), c.chainPEM()...)
}

// spiffeURI is id's SPIFFE id as a URI, refusing an identity whose parts
// would not read back as the same identity (empty, or holding a slash).
func spiffeURI(id identity.Identity) (*url.URL, error) {
	back, err := identity.ParseSPIFFE(id.SPIFFE())
	if err != nil {
		return nil, err
	}
	if back.TrustDomain != id.TrustDomain || back.Namespace != id.Namespace || back.ServiceAccount != id.ServiceAccount {
		return nil, fmt.Errorf("identity %s: a part holds a slash", id.SPIFFE())
	}
	return url.Parse(id.SPIFFE())
}

// parseCSR reads a PEM CSR and checks its signature, which proves the
// requester holds the private key.
func parseCSR(csrPEM []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(csrPEM)
	if block == nil {
		return nil, errors.New("CSR is not PEM")
	}
	if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("CSR PEM block is %q, want CERTIFICATE REQUEST", block.Type)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CSR: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("CSR signature does not verify: %w", err)
	}
	return csr, nil
}

// ErrOtherIdentity is wrapped by SignCSR's error when the CSR is well
// formed but names an identity other than the caller's.
var ErrOtherIdentity = errors.New("CSR names another identity")

// checkCSRNames refuses a CSR asking for any name but exactly uri.
func checkCSRNames(csr *x509.CertificateRequest, uri *url.URL) error {
	switch {
	case len(csr.DNSNames) > 0:
		return fmt.Errorf("asks for DNS names %v; only the SPIFFE id is issued", csr.DNSNames)
	case len(csr.IPAddresses) > 0:
		return fmt.Errorf("asks for IP addresses %v; only the SPIFFE id is issued", csr.IPAddresses)
	case len(csr.EmailAddresses) > 0:
		return fmt.Errorf("asks for email addresses %v; only the SPIFFE id is issued", csr.EmailAddresses)
	case len(csr.URIs) != 1:
		return fmt.Errorf("asks for %d URI names, want exactly one (%s)", len(csr.URIs), uri)
	case csr.URIs[0].String() != uri.String():
		return fmt.Errorf("%w: asks for %s, but the caller is %s", ErrOtherIdentity, csr.URIs[0], uri)
	}
	return nil
}

// newSerial is a random 128-bit serial number (RFC 5280 allows 20 octets).
func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	return n, nil
}
