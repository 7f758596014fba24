package authzgrpc

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
)

// Service accounts the mesh CA issues certificates to: the server's, and
// two clients'.
const (
	serverSA = "echo"
	allowed  = "frontend"
	other    = "intruder"
)

// writeCerts makes a mesh CA and writes, into dir, its root (root.pem)
// and each account's chain and key (<sa>.pem, <sa>.key).
func writeCerts(dir string) error {
	data, err := ca.NewSelfSignedSecretData(defaults.TrustDomain, time.Now())
	if err != nil {
		return err
	}
	c, err := ca.FromSecretData(data, false)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "root.pem"), c.TrustBundlePEM(), 0o600); err != nil {
		return err
	}
	for _, sa := range []string{serverSA, allowed, other} {
		kp, err := c.IssueWorkload(identity.Identity{TrustDomain: defaults.TrustDomain, Namespace: "default", ServiceAccount: sa}, time.Hour, time.Now())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, sa+".pem"), kp.CertChainPEM, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, sa+".key"), kp.KeyPEM, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// clientTLS is a mesh client's TLS: its own certificate, and the server
// checked against the mesh root and by its SPIFFE id (not a DNS name).
func clientTLS(dir, sa string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, sa+".pem"), filepath.Join(dir, sa+".key"))
	if err != nil {
		return nil, err
	}
	rootPEM, err := os.ReadFile(filepath.Join(dir, "root.pem"))
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		return nil, fmt.Errorf("no root in %s", dir)
	}
	want := identity.Identity{TrustDomain: defaults.TrustDomain, Namespace: "default", ServiceAccount: serverSA}.SPIFFE()
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		InsecureSkipVerify: true, // the chain and the SPIFFE id are checked below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("no server certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			leaf := cs.PeerCertificates[0]
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter}); err != nil {
				return err
			}
			if len(leaf.URIs) != 1 || leaf.URIs[0].String() != want {
				return fmt.Errorf("server is %v, want %s", leaf.URIs, want)
			}
			return nil
		},
	}, nil
}
