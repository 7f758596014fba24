package names

import "strings"

// Istio's SDS resource names for a credentialName Secret: the key pair
// under "kubernetes://<name>", its CA under "kubernetes://<name>-cacert".
// Cluster TLS, gateway TLS and the secret server all use these.
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
