package model

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
)

// AllowCrossNamespaceCredentials decides whether a Gateway may name a
// Secret of another namespace ("other/name" in credentialName). Istio
// allows it where RBAC or a ReferenceGrant does; sailplane has neither
// yet, so a Gateway only ever serves its own namespace's certificates: a
// Gateway author cannot expose keys they could not read.
const AllowCrossNamespaceCredentials = false

// Keys of a Kubernetes TLS Secret, and of the generic form Istio also
// reads (an Opaque Secret with cert, key and cacert).
const (
	secretCert        = "tls.crt"
	secretKey         = "tls.key"
	secretCA          = "ca.crt"
	secretGenericCert = "cert"
	secretGenericKey  = "key"
	secretGenericCA   = "cacert"
	// CASecretSuffix names the separate Secret Istio reads a CA from when
	// the key pair's Secret has none.
	CASecretSuffix = "-cacert"
)

// Secret is a Kubernetes Secret as TLS material: a key pair (certificate
// chain and the private key that belongs to it) and a CA bundle, each
// present or not, valid or not. It is parsed on first use, once, since a
// cluster holds many Secrets no Gateway or DestinationRule names.
type Secret struct {
	Ref  types.NamespacedName
	data map[string][]byte
	once sync.Once
	tls  secretTLS
}

type secretTLS struct {
	certChain, privateKey, caCert []byte
	// keyPairErr says why the key pair cannot be used (absent, not PEM,
	// key not matching the certificate); caErr the same for the CA.
	keyPairErr, caErr error
}

// usableSecretTypes are the Secret types a credential may come from:
// `kubectl create secret tls` and `generic`. Service-account tokens, Helm
// releases and registry credentials never serve TLS.
var usableSecretTypes = map[corev1.SecretType]bool{"": true, corev1.SecretTypeOpaque: true, corev1.SecretTypeTLS: true}

func (m *Model) addSecrets(b *bundle.Bundle) {
	m.Secrets = map[types.NamespacedName]*Secret{}
	for i := range b.Secrets {
		s := &b.Secrets[i]
		if !usableSecretTypes[s.Type] {
			continue
		}
		ref := types.NamespacedName{Namespace: s.Namespace, Name: s.Name}
		m.Secrets[ref] = &Secret{Ref: ref, data: secretData(s)}
	}
}

// KeyPair returns the certificate chain and private key, or why they
// cannot be used.
func (s *Secret) KeyPair() (chain, key []byte, err error) {
	t := s.material()
	return t.certChain, t.privateKey, t.keyPairErr
}

// CA returns the CA bundle, or why there is no usable one.
func (s *Secret) CA() ([]byte, error) {
	t := s.material()
	return t.caCert, t.caErr
}

func (s *Secret) hasCA() bool { return len(s.material().caCert) > 0 }

func (s *Secret) material() *secretTLS {
	s.once.Do(func() { s.tls = parseSecret(s.data) })
	return &s.tls
}

// secretData merges stringData over data, as the API server does on
// write; manifests read offline still carry stringData.
func secretData(s *corev1.Secret) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range s.Data {
		out[k] = v
	}
	for k, v := range s.StringData {
		out[k] = []byte(v)
	}
	return out
}

func parseSecret(data map[string][]byte) secretTLS {
	var s secretTLS
	certKey, keyKey, caKey := secretCert, secretKey, secretCA
	if len(data[secretGenericCert]) > 0 && len(data[secretGenericKey]) > 0 {
		certKey, keyKey, caKey = secretGenericCert, secretGenericKey, secretGenericCA
	}
	s.certChain, s.privateKey = data[certKey], data[keyKey]
	switch {
	case len(s.certChain) == 0 || len(s.privateKey) == 0:
		s.keyPairErr = fmt.Errorf("has no key pair (keys %s and %s)", secretCert, secretKey)
	default:
		if _, err := tls.X509KeyPair(s.certChain, s.privateKey); err != nil {
			s.keyPairErr = fmt.Errorf("%s/%s is not a usable key pair: %v", certKey, keyKey, err)
		}
	}
	// A CA-only Secret ("<name>-cacert") may use either key.
	s.caCert = data[caKey]
	for _, k := range []string{secretCA, secretGenericCA} {
		if len(s.caCert) == 0 {
			s.caCert = data[k]
		}
	}
	s.caErr = checkCABundle(s.caCert)
	return s
}

var errNoCA = errors.New("has no CA certificate (key ca.crt)")

// checkCABundle accepts PEM holding at least one certificate and nothing
// but certificates, the form Envoy's trusted_ca takes.
func checkCABundle(pemData []byte) error {
	if len(pemData) == 0 {
		return errNoCA
	}
	n := 0
	for rest := pemData; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("%s holds a %s block; only certificates belong there", secretCA, block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("%s: %v", secretCA, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s is not PEM", secretCA)
	}
	return nil
}

// KeyPair returns Secret ns/name when it holds a usable key pair, or why
// it does not.
func (m *Model) KeyPair(ns, name string) (*Secret, error) {
	s := m.Secrets[types.NamespacedName{Namespace: ns, Name: name}]
	if s == nil {
		return nil, fmt.Errorf("Secret %s/%s not found", ns, name)
	}
	if _, _, err := s.KeyPair(); err != nil {
		return nil, fmt.Errorf("Secret %s/%s %v", ns, name, err)
	}
	return s, nil
}

// CABundle returns the CA certificates for credential ns/name as Istio
// finds them: the Secret's own ca.crt (cacert), else Secret
// "<name>-cacert".
func (m *Model) CABundle(ns, name string) ([]byte, error) {
	own := m.Secrets[types.NamespacedName{Namespace: ns, Name: name}]
	if own != nil && own.hasCA() {
		ca, err := own.CA()
		if err != nil {
			return nil, fmt.Errorf("Secret %s/%s: %v", ns, name, err)
		}
		return ca, nil
	}
	sep := m.Secrets[types.NamespacedName{Namespace: ns, Name: name + CASecretSuffix}]
	if sep != nil {
		ca, err := sep.CA()
		if err != nil {
			return nil, fmt.Errorf("Secret %s/%s%s: %v", ns, name, CASecretSuffix, err)
		}
		return ca, nil
	}
	if own == nil {
		return nil, fmt.Errorf("Secret %s/%s not found", ns, name)
	}
	return nil, fmt.Errorf("Secret %s/%s %v, and there is no Secret %s%s", ns, name, errNoCA, name, CASecretSuffix)
}
