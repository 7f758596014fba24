// Package ca is the mesh's certificate authority: it reads the CA material
// from Istio's Secret layouts (istiod's self-signed istio-ca-secret or an
// operator's plug-in cacerts), and issues workload X.509 SVIDs, signs
// workload CSRs and issues the control plane's serving certificate.
//
// Everything here except store.go is pure: values in, values out, the clock
// passed in. A *CA never changes after it is built; a new Secret gives a new
// *CA, which Holder hands to whoever signs.
package ca

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"time"
)

// KeyPair is an issued certificate and its private key.
type KeyPair struct {
	// CertChainPEM is the leaf followed by the intermediates up to, not
	// including, the root (roots travel separately, in the trust bundle).
	CertChainPEM []byte
	// KeyPEM is the leaf's private key, PKCS #8.
	KeyPEM []byte
	// NotBefore and NotAfter are the leaf's validity, as encoded (whole
	// seconds).
	NotBefore, NotAfter time.Time
}

// CA signs with one certificate and key and trusts a set of roots. It is
// immutable after construction and safe for concurrent use.
type CA struct {
	signer crypto.Signer
	cert   *x509.Certificate
	// intermediates are the certificates from cert up to, not including,
	// its root, in order: what a leaf's chain carries after the leaf.
	// Empty when cert is itself the root.
	intermediates []*x509.Certificate
	// root is the root cert chains to (cert itself when self-signed).
	root *x509.Certificate
	// notAfter is the earliest end of cert, intermediates and root: no
	// certificate issued may outlive it.
	notAfter time.Time
	// roots are the trusted roots, sorted by fingerprint, no duplicates.
	roots  []*x509.Certificate
	pool   *x509.CertPool
	bundle []byte
}

// TrustBundlePEM is every trusted root, PEM, in a deterministic order (by
// SHA-256 of the certificate), so every replica publishes the same bytes.
func (c *CA) TrustBundlePEM() []byte {
	return bytes.Clone(c.bundle)
}

// Roots is the trusted roots as a pool, for verifying peers.
func (c *CA) Roots() *x509.CertPool {
	return c.pool.Clone()
}

// SigningCert is the certificate the CA signs with (the root for a
// self-signed CA, the intermediate for a plugged one).
func (c *CA) SigningCert() *x509.Certificate {
	return c.cert
}

// Equal reports whether two CAs sign with the same certificate and trust
// the same roots, so a reload of unchanged material can be told apart from
// a rotation.
func (c *CA) Equal(o *CA) bool {
	if c == nil || o == nil {
		return c == o
	}
	return c.cert.Equal(o.cert) && bytes.Equal(c.bundle, o.bundle) && bytes.Equal(c.chainPEM(), o.chainPEM())
}

// chainPEM is the intermediates, PEM, in order.
func (c *CA) chainPEM() []byte {
	var out []byte
	for _, ic := range c.intermediates {
		out = append(out, encodeCert(ic.Raw)...)
	}
	return out
}

func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// RootCerts is the trusted roots, in TrustBundlePEM's order.
func (c *CA) RootCerts() []*x509.Certificate {
	return slices.Clone(c.roots)
}

// NotAfter is when the first certificate of the CA's path (signing cert,
// intermediates, root) expires; nothing it issues outlives it.
func (c *CA) NotAfter() time.Time {
	return c.notAfter
}
