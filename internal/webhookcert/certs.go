// Package webhookcert keeps the injector webhook's serving certificate
// without cert-manager: a self-generated CA and serving certificate stored
// in one Secret (tls.crt, tls.key, ca.crt, cert-manager's layout) so every
// replica serves a certificate the same caBundle trusts; the leader writes
// ca.crt into every webhook of the MutatingWebhookConfiguration and renews
// the pair before it expires. When cert-manager provides the certificate it
// does nothing.
package webhookcert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Bundle is the content of the Secret and of the certificate directory.
type Bundle struct {
	CertPEM []byte // serving certificate (tls.crt)
	KeyPEM  []byte // its private key (tls.key)
	// CAPEM holds the CA that signed CertPEM first, then earlier CAs that
	// are still valid, so certificates still served by replicas that have
	// not yet picked up a renewal stay trusted (ca.crt, the caBundle).
	CAPEM []byte
}

// backdate covers clocks of API servers that run a little behind ours.
const backdate = time.Hour

// maxCAs bounds ca.crt: the current CA and a few predecessors.
const maxCAs = 3

// Generate creates a new CA and a serving certificate for dnsNames signed
// by it, both valid for validity from now. The CA's private key is
// discarded: renewal makes a new CA rather than keeping a signing key in the
// cluster, and ca.crt carries the old CA until it expires.
func Generate(dnsNames []string, now time.Time, validity time.Duration) (Bundle, error) {
	if len(dnsNames) == 0 {
		return Bundle{}, errors.New("no DNS names for the serving certificate")
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Bundle{}, err
	}
	notBefore, notAfter := now.Add(-backdate), now.Add(validity)
	caTemplate := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "sailplane-webhook-ca", Organization: []string{"sailplane"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := sign(caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return Bundle{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return Bundle{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Bundle{}, err
	}
	leaf := &x509.Certificate{
		Subject:     pkix.Name{CommonName: dnsNames[0]},
		DNSNames:    dnsNames,
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := sign(leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return Bundle{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Bundle{}, err
	}
	return Bundle{
		CertPEM: pemBlock("CERTIFICATE", leafDER),
		KeyPEM:  pemBlock("PRIVATE KEY", keyDER),
		CAPEM:   pemBlock("CERTIFICATE", caDER),
	}, nil
}

func sign(template, parent *x509.Certificate, pub *ecdsa.PublicKey, signer *ecdsa.PrivateKey) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	template.SerialNumber = serial
	return x509.CreateCertificate(rand.Reader, template, parent, pub, signer)
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

// Renewed is a new bundle whose ca.crt also trusts the CAs of old that are
// still valid at now, newest first.
func Renewed(old Bundle, dnsNames []string, now time.Time, validity time.Duration) (Bundle, error) {
	b, err := Generate(dnsNames, now, validity)
	if err != nil {
		return Bundle{}, err
	}
	kept := 1
	for _, ca := range parseCerts(old.CAPEM) {
		if kept >= maxCAs || !now.Before(ca.NotAfter) {
			continue
		}
		b.CAPEM = append(b.CAPEM, pemBlock("CERTIFICATE", ca.Raw)...)
		kept++
	}
	return b, nil
}

// Check says whether the bundle can be served for dnsNames at now: the
// key matches the certificate, ca.crt verifies it for every name, and it
// has not expired. due reports that it expires within renewBefore.
func (b Bundle) Check(dnsNames []string, now time.Time, renewBefore time.Duration) (due bool, err error) {
	pair, err := tls.X509KeyPair(b.CertPEM, b.KeyPEM)
	if err != nil {
		return false, fmt.Errorf("tls.crt and tls.key: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return false, fmt.Errorf("tls.crt: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(b.CAPEM) {
		return false, errors.New("ca.crt holds no certificate")
	}
	for _, name := range dnsNames {
		_, err := leaf.Verify(x509.VerifyOptions{
			DNSName:     name,
			Roots:       roots,
			CurrentTime: now,
			KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			return false, fmt.Errorf("tls.crt for %s: %w", name, err)
		}
	}
	return !now.Add(renewBefore).Before(leaf.NotAfter), nil
}

// Equal reports whether two bundles hold the same bytes.
func (b Bundle) Equal(o Bundle) bool {
	return bytes.Equal(b.CertPEM, o.CertPEM) && bytes.Equal(b.KeyPEM, o.KeyPEM) && bytes.Equal(b.CAPEM, o.CAPEM)
}

func parseCerts(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil && block.Type == "CERTIFICATE" {
			out = append(out, c)
		}
	}
}
