package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"slices"
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
)

// NewSelfSignedSecretData makes a new root CA and returns it in istiod's
// istio-ca-secret layout. The key is ECDSA P-256: as strong as the RSA 2048
// istiod defaults to, with smaller certificates and faster signing, and
// every Envoy and gRPC build accepts it.
func NewSelfSignedSecretData(trustDomain string, now time.Time) (map[string][]byte, error) {
	if trustDomain == "" {
		return nil, fmt.Errorf("new self-signed CA: empty trust domain")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("new self-signed CA: generating key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{trustDomain}},
		NotBefore:             now.Add(-defaults.ClockSkewBackdate),
		NotAfter:              now.Add(defaults.CACertTTL),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("new self-signed CA: signing: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	// istiod writes the three other keys empty; tools that read the
	// Secret expect them to exist.
	return map[string][]byte{
		defaults.CACertKey:     encodeCert(der),
		defaults.CAKeyKey:      keyPEM,
		defaults.CertChainKey:  {},
		defaults.PrivateKeyKey: {},
		defaults.RootCertKey:   {},
	}, nil
}

// FromSecretData reads CA material as of now; see FromSecretDataAt.
func FromSecretData(data map[string][]byte, plugged bool) (*CA, error) {
	return FromSecretDataAt(data, plugged, time.Now())
}

// FromSecretDataAt reads CA material in one of Istio's two layouts and
// checks it as of now.
//
// Self-signed (istio-ca-secret, plugged false): ca-cert.pem is a root and
// ca-key.pem its key; a non-empty root-cert.pem adds roots to trust (root
// rotation), the bundle being the union.
//
// Plugged (cacerts, plugged true): ca-cert.pem is the signing (usually
// intermediate) certificate, ca-key.pem its key, root-cert.pem the root(s),
// and cert-chain.pem the chain from ca-cert.pem up to the root as Istio
// documents it (optional when ca-cert.pem is signed by the root directly).
//
// Errors name the Secret, the key and the reason.
func FromSecretDataAt(data map[string][]byte, plugged bool, now time.Time) (*CA, error) {
	secret := defaults.SelfSignedCASecret
	if plugged {
		secret = defaults.PluggedCASecret
	}
	fail := func(key string, err error) error { return &SecretError{Secret: secret, Key: key, Err: err} }

	cert, err := parseOneCert(data[defaults.CACertKey])
	if err != nil {
		return nil, fail(defaults.CACertKey, err)
	}
	if err := checkCA(cert, now); err != nil {
		return nil, fail(defaults.CACertKey, err)
	}
	key, err := parseKey(data[defaults.CAKeyKey])
	if err != nil {
		return nil, fail(defaults.CAKeyKey, err)
	}
	if !samePublicKey(key, cert) {
		return nil, fail(defaults.CAKeyKey, fmt.Errorf("key does not match the certificate in %s", defaults.CACertKey))
	}
	roots, err := trustedRoots(data, cert, plugged, now)
	if err != nil {
		return nil, fail(defaults.RootCertKey, err)
	}
	var chainCerts []*x509.Certificate
	if plugged {
		if chainCerts, err = parseChain(data[defaults.CertChainKey], cert); err != nil {
			return nil, fail(defaults.CertChainKey, err)
		}
	} else if err := cert.CheckSignatureFrom(cert); err != nil {
		return nil, fail(defaults.CACertKey, fmt.Errorf("not self-signed (%v): in %s it must be the root; plug an intermediate in %s instead",
			err, defaults.SelfSignedCASecret, defaults.PluggedCASecret))
	}
	path, err := verifiedPath(cert, chainCerts, roots, now)
	if err != nil {
		return nil, fail(defaults.CACertKey, err)
	}
	return newCA(key, path, roots), nil
}

// checkCA refuses a certificate that cannot act as a CA now.
func checkCA(c *x509.Certificate, now time.Time) error {
	switch {
	case !c.BasicConstraintsValid || !c.IsCA:
		return fmt.Errorf("certificate %s is not a CA (basic constraints lack CA:TRUE)", certName(c))
	case c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0:
		return fmt.Errorf("certificate %s is not a CA (key usage lacks keyCertSign)", certName(c))
	case now.After(c.NotAfter):
		return fmt.Errorf("certificate %s expired at %s", certName(c), c.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(c.NotBefore):
		return fmt.Errorf("certificate %s is not valid before %s", certName(c), c.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}

// trustedRoots is root-cert.pem's roots (required when plugged), plus
// ca-cert.pem itself when it is the self-signed root.
func trustedRoots(data map[string][]byte, cert *x509.Certificate, plugged bool, now time.Time) ([]*x509.Certificate, error) {
	raw := data[defaults.RootCertKey]
	var roots []*x509.Certificate
	if !plugged {
		roots = append(roots, cert)
		if len(bytes.TrimSpace(raw)) == 0 {
			return roots, nil
		}
	}
	extra, err := parseCerts(raw)
	if err != nil {
		return nil, err
	}
	for _, r := range extra {
		if err := checkCA(r, now); err != nil {
			return nil, err
		}
	}
	return dedupeSorted(append(roots, extra...)), nil
}

// parseChain reads cert-chain.pem, which starts with ca-cert.pem itself;
// it returns the certificates above ca-cert.pem. Empty means ca-cert.pem
// is signed by a root directly.
func parseChain(raw []byte, cert *x509.Certificate) ([]*x509.Certificate, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	chain, err := parseCerts(raw)
	if err != nil {
		return nil, err
	}
	if !chain[0].Equal(cert) {
		return nil, fmt.Errorf("first certificate %s is not the one in %s", certName(chain[0]), defaults.CACertKey)
	}
	return chain[1:], nil
}

// verifiedPath checks that cert chains to one of roots and would let the
// certificates it signs be used by both ends of mTLS; it returns the path:
// cert, the intermediates, the root (just cert when it is itself a root).
func verifiedPath(cert *x509.Certificate, chain, roots []*x509.Certificate, now time.Time) ([]*x509.Certificate, error) {
	rootPool, interPool := x509.NewCertPool(), x509.NewCertPool()
	for _, r := range roots {
		rootPool.AddCert(r)
	}
	for _, c := range chain {
		interPool.AddCert(c)
	}
	var path []*x509.Certificate
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		chains, err := cert.Verify(x509.VerifyOptions{Roots: rootPool, Intermediates: interPool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{usage}})
		if err != nil {
			return nil, fmt.Errorf("signing certificate %s does not chain to any root in %s: %v", certName(cert), defaults.RootCertKey, err)
		}
		path = chains[0]
	}
	return path, nil
}

// dedupeSorted orders certificates by fingerprint and drops repeats.
func dedupeSorted(certs []*x509.Certificate) []*x509.Certificate {
	type fp struct {
		sum  [32]byte
		cert *x509.Certificate
	}
	all := make([]fp, 0, len(certs))
	for _, c := range certs {
		all = append(all, fp{sha256.Sum256(c.Raw), c})
	}
	slices.SortFunc(all, func(a, b fp) int { return bytes.Compare(a.sum[:], b.sum[:]) })
	all = slices.CompactFunc(all, func(a, b fp) bool { return a.sum == b.sum })
	out := make([]*x509.Certificate, len(all))
	for i, f := range all {
		out[i] = f.cert
	}
	return out
}
