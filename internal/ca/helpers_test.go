package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
)

// t0 is the tests' clock: every certificate is made and checked against it.
var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

var alice = identity.Identity{TrustDomain: defaults.TrustDomain, Namespace: "shop", ServiceAccount: "alice"}

// selfSigned is a fresh istio-ca-secret's data.
func selfSigned(t *testing.T) map[string][]byte {
	t.Helper()
	data, err := NewSelfSignedSecretData(defaults.TrustDomain, t0)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// mustCA reads data or fails the test.
func mustCA(t *testing.T, data map[string][]byte, plugged bool) *CA {
	t.Helper()
	c, err := FromSecretDataAt(data, plugged, t0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pluggedData is a cacerts layout: an intermediate signed by the root in
// rootData, valid for lifetime, with the chain Istio's docs describe.
func pluggedData(t *testing.T, rootData map[string][]byte, lifetime time.Duration) map[string][]byte {
	t.Helper()
	root := mustCA(t, rootData, false)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          newSerialT(t),
		Subject:               pkix.Name{Organization: []string{defaults.TrustDomain}, CommonName: "intermediate"},
		NotBefore:             t0.Add(-time.Hour),
		NotAfter:              t0.Add(lifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.SigningCert(), key.Public(), root.signer)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := encodeCert(der)
	return map[string][]byte{
		defaults.CACertKey:    certPEM,
		defaults.CAKeyKey:     keyPEM,
		defaults.RootCertKey:  rootData[defaults.CACertKey],
		defaults.CertChainKey: append(append([]byte{}, certPEM...), rootData[defaults.CACertKey]...),
	}
}

func newSerialT(t *testing.T) *big.Int {
	t.Helper()
	n, err := newSerial()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// parsePEMChain reads PEM certificates written by the CA.
func parsePEMChain(t *testing.T, b []byte) []*x509.Certificate {
	t.Helper()
	certs, err := parseCerts(b)
	if err != nil {
		t.Fatal(err)
	}
	return certs
}

// verify checks leaf against roots with the given usage, intermediates
// from rest.
func verify(leaf *x509.Certificate, rest []*x509.Certificate, roots *x509.CertPool, at time.Time, usage x509.ExtKeyUsage) error {
	inter := x509.NewCertPool()
	for _, c := range rest {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{usage}})
	return err
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func with(data map[string][]byte, key string, value []byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range data {
		out[k] = v
	}
	out[key] = value
	return out
}

// parsePEMBlocks is the DER of each PEM block in b.
func parsePEMBlocks(b []byte) [][]byte {
	var out [][]byte
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return out
		}
		out = append(out, block.Bytes)
	}
}
