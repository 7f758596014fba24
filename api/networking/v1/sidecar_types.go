package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// SidecarSpec narrows what a workload's sidecar proxy is configured for:
// which hosts it can reach (egress), how it accepts traffic (ingress), and
// what happens to traffic for hosts the mesh does not know
// (outboundTrafficPolicy). Without a workloadSelector it applies to every
// workload of its namespace that no selector Sidecar picks.
//
// sailplane honours egress[].hosts and outboundTrafficPolicy.mode; every
// other field is accepted and reported in the object's status as not
// honoured yet.
type SidecarSpec struct {
	// WorkloadSelector picks the pods of the Sidecar's namespace it
	// applies to; absent, it is the namespace's default.
	WorkloadSelector *SidecarWorkloadSelector `json:"workloadSelector,omitempty"`
	// Ingress configures the sidecar's inbound listeners.
	// +kubebuilder:validation:MaxItems=1024
	Ingress []IstioIngressListener `json:"ingress,omitempty"`
	// Egress lists the hosts (and optionally ports) the workload reaches.
	// +kubebuilder:validation:MaxItems=1024
	Egress []IstioEgressListener `json:"egress,omitempty"`
	// InboundConnectionPool applies to every inbound port.
	InboundConnectionPool *ConnectionPoolSettings `json:"inboundConnectionPool,omitempty"`
	// OutboundTrafficPolicy decides where traffic to unknown hosts goes.
	OutboundTrafficPolicy *OutboundTrafficPolicy `json:"outboundTrafficPolicy,omitempty"`
}

// SidecarWorkloadSelector selects pods by label (Istio's WorkloadSelector).
type SidecarWorkloadSelector struct {
	// +kubebuilder:validation:MaxProperties=256
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.contains('*') && k != '')",message="wildcard and empty label keys are not supported"
	Labels map[string]string `json:"labels,omitempty"`
}

// IstioIngressListener is one inbound port of the sidecar.
type IstioIngressListener struct {
	Port SidecarPort `json:"port"`
	// Bind is the address the listener binds to.
	Bind string `json:"bind,omitempty"`
	// +kubebuilder:validation:Enum=DEFAULT;IPTABLES;NONE
	CaptureMode string `json:"captureMode,omitempty"`
	// DefaultEndpoint is where inbound traffic goes: 127.0.0.1:PORT,
	// 0.0.0.0:PORT, [::1]:PORT, [::]:PORT or unix:///path.
	// +kubebuilder:validation:MaxLength=256
	DefaultEndpoint string                  `json:"defaultEndpoint,omitempty"`
	TLS             *ServerTLSSettings      `json:"tls,omitempty"`
	ConnectionPool  *ConnectionPoolSettings `json:"connectionPool,omitempty"`
}

// IstioEgressListener is one set of hosts the workload reaches, on one
// port or on all.
type IstioEgressListener struct {
	Port *SidecarPort `json:"port,omitempty"`
	Bind string       `json:"bind,omitempty"`
	// +kubebuilder:validation:Enum=DEFAULT;IPTABLES;NONE
	CaptureMode string `json:"captureMode,omitempty"`
	// Hosts are "namespace/dnsName": namespace is a name, "." (the
	// Sidecar's own), "*" (any) or "~" (none); dnsName is an FQDN, a
	// short name, or a wildcard such as "*" or "*.example.com".
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=1024
	// +kubebuilder:validation:items:MaxLength=320
	// +kubebuilder:validation:items:Pattern=`^[^/]+/[^/]+$`
	Hosts []string `json:"hosts"`
}

// SidecarPort is a port of an ingress or egress listener.
type SidecarPort struct {
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	Number uint32 `json:"number,omitempty"`
	// Protocol is one of HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP, TLS.
	Protocol string `json:"protocol,omitempty"`
	Name     string `json:"name,omitempty"`
	// TargetPort is deprecated in Istio.
	TargetPort uint32 `json:"targetPort,omitempty"`
}

// OutboundTrafficPolicy is Istio's policy for traffic to hosts outside the
// registry: ALLOW_ANY forwards it, REGISTRY_ONLY drops it.
type OutboundTrafficPolicy struct {
	// +kubebuilder:validation:Enum=REGISTRY_ONLY;ALLOW_ANY
	Mode        string       `json:"mode,omitempty"`
	EgressProxy *Destination `json:"egressProxy,omitempty"`
}

// Sidecar scopes a workload's sidecar proxy configuration.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=istio-io;networking-istio-io
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type Sidecar struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SidecarSpec `json:"spec,omitempty"`
	Status Status      `json:"status,omitempty"`
}

// SidecarList is a list of Sidecars.
//
// +kubebuilder:object:root=true
type SidecarList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Sidecar `json:"items"`
}
