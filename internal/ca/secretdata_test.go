package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
)

func TestNewSelfSignedSecretDataIsIstiodLayout(t *testing.T) {
	data := selfSigned(t)
	for _, k := range []string{defaults.CertChainKey, defaults.PrivateKeyKey, defaults.RootCertKey} {
		if v, ok := data[k]; !ok || len(v) != 0 {
			t.Errorf("key %s = %q, present %v; want present and empty", k, v, ok)
		}
	}
	c := mustCA(t, data, false)
	root := c.SigningCert()
	if !root.IsCA || !root.BasicConstraintsValid {
		t.Error("root is not a CA")
	}
	if got := root.Subject.Organization; len(got) != 1 || got[0] != defaults.TrustDomain {
		t.Errorf("subject O = %v, want [%s]", got, defaults.TrustDomain)
	}
	if _, ok := root.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("root key is %T, want ECDSA", root.PublicKey)
	}
	if life := root.NotAfter.Sub(t0); life < defaults.CACertTTL-time.Second || life > defaults.CACertTTL {
		t.Errorf("root lives %s after now, want %s", life, defaults.CACertTTL)
	}
	if !bytes.Equal(c.TrustBundlePEM(), data[defaults.CACertKey]) {
		t.Error("trust bundle of a fresh self-signed CA is not its root")
	}
}

func TestRotationBundleTrustsBothRoots(t *testing.T) {
	a, b := selfSigned(t), selfSigned(t)
	both := append(append([]byte{}, b[defaults.CACertKey]...), a[defaults.CACertKey]...)
	// Old root A signs and trusts the new root B (and lists itself again,
	// which must not duplicate it); then B signs and trusts A.
	oldSigns := mustCA(t, with(a, defaults.RootCertKey, both), false)
	newSigns := mustCA(t, with(b, defaults.RootCertKey, a[defaults.CACertKey]), false)
	if n := len(parsePEMChain(t, oldSigns.TrustBundlePEM())); n != 2 {
		t.Fatalf("bundle holds %d roots, want 2", n)
	}
	if !bytes.Equal(oldSigns.TrustBundlePEM(), newSigns.TrustBundlePEM()) {
		t.Error("the bundle depends on which root signs; want the same bytes")
	}
	for name, signer := range map[string]*CA{"old": oldSigns, "new": newSigns} {
		kp, err := signer.IssueWorkload(alice, time.Hour, t0)
		if err != nil {
			t.Fatal(err)
		}
		chain := parsePEMChain(t, kp.CertChainPEM)
		for vname, verifier := range map[string]*CA{"old": oldSigns, "new": newSigns} {
			if err := verify(chain[0], chain[1:], verifier.Roots(), t0, 0); err != nil {
				t.Errorf("certificate from the %s root does not verify against the %s bundle: %v", name, vname, err)
			}
		}
	}
	if err := verify(parsePEMChain(t, mustIssue(t, newSigns))[0], nil, mustCA(t, a, false).Roots(), t0, 0); err == nil {
		t.Error("a certificate from root B verifies against root A alone")
	}
}

func mustIssue(t *testing.T, c *CA) []byte {
	t.Helper()
	kp, err := c.IssueWorkload(alice, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	return kp.CertChainPEM
}

func TestPluggedLayout(t *testing.T) {
	root := selfSigned(t)
	data := pluggedData(t, root, 48*time.Hour)
	c := mustCA(t, data, true)
	if c.SigningCert().Subject.CommonName != "intermediate" {
		t.Errorf("signing with %s, want the intermediate", c.SigningCert().Subject)
	}
	if !bytes.Equal(c.TrustBundlePEM(), root[defaults.CACertKey]) {
		t.Error("bundle is not root-cert.pem's root")
	}
	// cert-chain.pem may be left out when the root signed ca-cert.pem.
	if _, err := FromSecretDataAt(with(data, defaults.CertChainKey, nil), true, t0); err != nil {
		t.Errorf("without cert-chain.pem: %v", err)
	}
}

func TestFromSecretDataRefuses(t *testing.T) {
	root := selfSigned(t)
	other := selfSigned(t)
	plugged := pluggedData(t, root, 48*time.Hour)
	leaf, err := mustCA(t, root, false).IssueWorkload(alice, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherKeyPEM, _ := encodeKey(otherKey)
	cases := []struct {
		name    string
		data    map[string][]byte
		plugged bool
		at      time.Time
		want    string
	}{
		{"no ca-cert", with(root, defaults.CACertKey, nil), false, t0, "Secret istio-ca-secret: ca-cert.pem: missing"},
		{"ca-cert not PEM", with(root, defaults.CACertKey, []byte("hello")), false, t0, "ca-cert.pem: not PEM"},
		{"ca-cert holds a key", with(root, defaults.CACertKey, root[defaults.CAKeyKey]), false, t0, `ca-cert.pem: PEM block 1 is "PRIVATE KEY"`},
		{"ca-cert two certs", with(root, defaults.CACertKey, append(append([]byte{}, root[defaults.CACertKey]...), other[defaults.CACertKey]...)), false, t0, "ca-cert.pem: holds 2 certificates"},
		{"no ca-key", with(root, defaults.CAKeyKey, nil), false, t0, "ca-key.pem: missing"},
		{"ca-key not PEM", with(root, defaults.CAKeyKey, []byte("secret")), false, t0, "ca-key.pem: not PEM"},
		{"ca-key of another cert", with(root, defaults.CAKeyKey, otherKeyPEM), false, t0, "ca-key.pem: key does not match the certificate"},
		{"ca-cert not a CA", map[string][]byte{defaults.CACertKey: parseFirstPEM(leaf.CertChainPEM), defaults.CAKeyKey: leaf.KeyPEM}, false, t0, "ca-cert.pem: certificate serial"},
		{"expired", root, false, t0.Add(defaults.CACertTTL + time.Hour), "ca-cert.pem: certificate \"O=cluster.local\" expired at"},
		{"not yet valid", root, false, t0.Add(-time.Hour), "is not valid before"},
		{"intermediate in istio-ca-secret", with(plugged, defaults.RootCertKey, nil), false, t0, "istio-ca-secret: ca-cert.pem: not self-signed"},
		{"extra root not PEM", with(root, defaults.RootCertKey, []byte("junk")), false, t0, "istio-ca-secret: root-cert.pem: not PEM"},
		{"plugged without root-cert", with(plugged, defaults.RootCertKey, nil), true, t0, "Secret cacerts: root-cert.pem: missing"},
		{"plugged, wrong root", with(with(plugged, defaults.RootCertKey, other[defaults.CACertKey]), defaults.CertChainKey, nil), true, t0, "cacerts: ca-cert.pem: signing certificate \"CN=intermediate,O=cluster.local\" does not chain to any root in root-cert.pem"},
		{"plugged, chain starts elsewhere", with(plugged, defaults.CertChainKey, root[defaults.CACertKey]), true, t0, "cacerts: cert-chain.pem: first certificate \"O=cluster.local\" is not the one in ca-cert.pem"},
		{"plugged, intermediate expired", plugged, true, t0.Add(49 * time.Hour), "cacerts: ca-cert.pem: certificate \"CN=intermediate,O=cluster.local\" expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromSecretDataAt(tc.data, tc.plugged, tc.at)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := FromSecretDataAt(map[string][]byte{defaults.CACertKey: parseFirstPEM(leaf.CertChainPEM), defaults.CAKeyKey: leaf.KeyPEM}, false, t0); err == nil || !strings.Contains(err.Error(), "is not a CA") {
		t.Errorf("leaf as CA: error = %v, want \"is not a CA\"", err)
	}
}

// parseFirstPEM is the first PEM block of b, re-encoded.
func parseFirstPEM(b []byte) []byte {
	c, err := parseCerts(b)
	if err != nil {
		panic(err)
	}
	return encodeCert(c[0].Raw)
}

func TestEqual(t *testing.T) {
	data := selfSigned(t)
	a, b := mustCA(t, data, false), mustCA(t, data, false)
	if !a.Equal(b) {
		t.Error("two CAs from the same data are not Equal")
	}
	rotated := mustCA(t, with(data, defaults.RootCertKey, selfSigned(t)[defaults.CACertKey]), false)
	if a.Equal(rotated) {
		t.Error("a CA with an extra root is Equal to one without")
	}
}
