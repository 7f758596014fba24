package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// GatewaySpec describes the ports and hosts a gateway proxy (selected by
// pod labels) exposes.
type GatewaySpec struct {
	// Servers are the ports the gateway listens on and what they accept.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1024
	Servers []Server `json:"servers"`
	// Selector picks the gateway pods by label, in the Gateway's namespace
	// or anywhere, as Istio's PILOT_SCOPE_GATEWAY_TO_NAMESPACE decides.
	Selector map[string]string `json:"selector,omitempty"`
}

// Gateway is Istio's description of an edge proxy's listeners.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=gw,categories=istio-io;networking-istio-io
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type Gateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   GatewaySpec `json:"spec,omitempty"`
	Status Status      `json:"status,omitempty"`
}

// GatewayList is a list of Gateways.
//
// +kubebuilder:object:root=true
type GatewayList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Gateway `json:"items"`
}

// Server is one listener of a gateway.
type Server struct {
	Port Port `json:"port"`
	// Bind is the IP or unix socket the listener binds to.
	Bind string `json:"bind,omitempty"`
	// Hosts exposed by this server, optionally namespace-qualified
	// ("ns/host", "*/host", "./host").
	// +kubebuilder:validation:MinItems=1
	Hosts []string           `json:"hosts"`
	TLS   *ServerTLSSettings `json:"tls,omitempty"`
	// DefaultEndpoint is the loopback address unmatched traffic goes to.
	DefaultEndpoint string `json:"defaultEndpoint,omitempty"`
	// Name is unique across the gateway's servers and used in stats.
	Name string `json:"name,omitempty"`
}

// Port is a gateway or service-entry port.
type Port struct {
	Number PortNumber `json:"number"`
	// Protocol is one of HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, TCP, TLS.
	// +kubebuilder:validation:MinLength=1
	Protocol string `json:"protocol"`
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// TargetPort is deprecated in Istio and ignored.
	TargetPort PortNumber `json:"targetPort,omitempty"`
}

// ServerTLSSettings terminate or pass through TLS on a gateway server.
//
// +kubebuilder:validation:XValidation:rule="(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) + (has(self.tlsCertificates) ? 1 : 0) + ((has(self.serverCertificate) || has(self.privateKey)) ? 1 : 0) <= 1",message="only one of credentialName, credentialNames, tlsCertificates or serverCertificate/privateKey may be set"
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || !(self.mode in ['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL']) || has(self.credentialName) || has(self.credentialNames) || has(self.tlsCertificates) || (has(self.serverCertificate) && has(self.privateKey))",message="SIMPLE, MUTUAL and OPTIONAL_MUTUAL modes need a certificate: credentialName, credentialNames, tlsCertificates, or serverCertificate and privateKey"
type ServerTLSSettings struct {
	// HTTPSRedirect answers plain HTTP requests with a 301 to https.
	HTTPSRedirect bool `json:"httpsRedirect,omitempty"`
	// +kubebuilder:validation:Enum=PASSTHROUGH;SIMPLE;MUTUAL;AUTO_PASSTHROUGH;ISTIO_MUTUAL;OPTIONAL_MUTUAL
	// +kubebuilder:validation:MaxLength=32
	Mode              string `json:"mode,omitempty"`
	ServerCertificate string `json:"serverCertificate,omitempty"`
	PrivateKey        string `json:"privateKey,omitempty"`
	CACertificates    string `json:"caCertificates,omitempty"`
	CACrl             string `json:"caCrl,omitempty"`
	// CredentialName is a Secret in the gateway's namespace with tls.crt,
	// tls.key and, for MUTUAL, ca.crt.
	CredentialName string `json:"credentialName,omitempty"`
	// +kubebuilder:validation:MaxItems=2
	CredentialNames []string `json:"credentialNames,omitempty"`
	// +kubebuilder:validation:MaxItems=2
	TLSCertificates       []TLSCertificate `json:"tlsCertificates,omitempty"`
	SubjectAltNames       []string         `json:"subjectAltNames,omitempty"`
	VerifyCertificateSpki []string         `json:"verifyCertificateSpki,omitempty"`
	VerifyCertificateHash []string         `json:"verifyCertificateHash,omitempty"`
	// +kubebuilder:validation:Enum=TLS_AUTO;TLSV1_0;TLSV1_1;TLSV1_2;TLSV1_3
	MinProtocolVersion string `json:"minProtocolVersion,omitempty"`
	// +kubebuilder:validation:Enum=TLS_AUTO;TLSV1_0;TLSV1_1;TLSV1_2;TLSV1_3
	MaxProtocolVersion string   `json:"maxProtocolVersion,omitempty"`
	CipherSuites       []string `json:"cipherSuites,omitempty"`
}

// TLSCertificate is one certificate of a server with several (RSA and
// ECDSA).
type TLSCertificate struct {
	ServerCertificate string `json:"serverCertificate,omitempty"`
	PrivateKey        string `json:"privateKey,omitempty"`
	CACertificates    string `json:"caCertificates,omitempty"`
}
