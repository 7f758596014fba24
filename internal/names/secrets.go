package names

import "strings"

// Istio's SDS resource names for a credentialName Secret: the key pair
// under "kubernetes://<name>", its CA under "kubernetes://<name>-cacert".
// Cluster TLS, gateway TLS and the secret server all use these. A name may
// carry a namespace ("kubernetes://<namespace>/<name>"); without one the
// Secret is in the namespace of the proxy that asks for it.
const (
	credentialPrefix   = "kubernetes://"
	credentialCASuffix = "-cacert"
)

// CredentialSecret is the SDS name of credentialName's key pair. A name
// that already carries the prefix is kept as is, as Istio does.
func CredentialSecret(credentialName string) string {
	if strings.HasPrefix(credentialName, credentialPrefix) {
		return credentialName
	}
	return credentialPrefix + credentialName
}

// CredentialCASecret is the SDS name of credentialName's CA certificate.
func CredentialCASecret(credentialName string) string {
	return CredentialSecret(credentialName) + credentialCASuffix
}

// CredentialRef is a parsed credential SDS name.
type CredentialRef struct {
	// Namespace is empty when the name does not carry one.
	Namespace string
	Name      string
	// CA is true for the "-cacert" form.
	CA bool
}

// ParseCredentialSecret reads an SDS name built by CredentialSecret or
// CredentialCASecret; ok is false for names of any other shape.
func ParseCredentialSecret(sdsName string) (CredentialRef, bool) {
	rest, ok := strings.CutPrefix(sdsName, credentialPrefix)
	if !ok || rest == "" {
		return CredentialRef{}, false
	}
	var ref CredentialRef
	rest, ref.CA = strings.CutSuffix(rest, credentialCASuffix)
	if ns, name, qualified := strings.Cut(rest, "/"); qualified {
		ref.Namespace, rest = ns, name
	}
	if rest == "" || strings.Contains(rest, "/") {
		return CredentialRef{}, false
	}
	ref.Name = rest
	return ref, true
}

// Istio's SDS names for a workload's own certificate: the key pair and
// the trust bundle that validates peers.
const (
	WorkloadCertSecret = "default"
	RootCASecret       = "ROOTCA"
)

// IsWorkloadSecret reports whether an SDS name is a workload's own
// certificate or trust bundle, which only the authenticated port serves.
func IsWorkloadSecret(name string) bool {
	return name == WorkloadCertSecret || name == RootCASecret
}
