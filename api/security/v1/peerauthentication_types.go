package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// PeerAuthenticationSpec says whether the selected workloads accept plain
// text, mutual TLS, or both, for all their ports or port by port.
//
// +kubebuilder:validation:XValidation:rule="(has(self.selector) && has(self.selector.matchLabels) && self.selector.matchLabels.size() > 0) || !has(self.portLevelMtls)",message="portLevelMtls requires selector",fieldPath=".portLevelMtls"
type PeerAuthenticationSpec struct {
	// Selector picks the workloads (pods) in the policy's namespace the
	// policy applies to. Without one it applies to the whole namespace, or
	// to the whole mesh in the root namespace.
	Selector *WorkloadSelector `json:"selector,omitempty"`
	// Mtls is the mode for every port of the selected workloads.
	Mtls *PeerAuthenticationMutualTLS `json:"mtls,omitempty"`
	// PortLevelMtls overrides the mode by workload (container) port.
	//
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(key, key.matches('^[0-9]+$') && int(key) > 0 && int(key) <= 65535)",message="port must be between 1-65535"
	PortLevelMtls map[string]PeerAuthenticationMutualTLS `json:"portLevelMtls,omitempty"`
}

// WorkloadSelector selects pods by label (PeerAuthentication).
type WorkloadSelector struct {
	// MatchLabels are the labels a pod must carry.
	//
	// +kubebuilder:validation:MaxProperties=4096
	// +kubebuilder:validation:XValidation:rule="self.all(key, !key.contains('*'))",message="wildcard not allowed in label key match"
	// +kubebuilder:validation:XValidation:rule="self.all(key, key.size() != 0)",message="key must not be empty"
	MatchLabels map[string]LabelValue `json:"matchLabels,omitempty"`
}

// LabelValue is a label value in a selector.
//
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="!self.contains('*')",message="wildcard not allowed in label value match"
type LabelValue string

// PeerAuthenticationMutualTLS is a mutual TLS mode.
type PeerAuthenticationMutualTLS struct {
	// Mode is UNSET (inherit from the namespace or the mesh), DISABLE
	// (plain text only), PERMISSIVE (both) or STRICT (mutual TLS only).
	//
	// +kubebuilder:validation:Enum=UNSET;DISABLE;PERMISSIVE;STRICT
	Mode string `json:"mode,omitempty"`
}

// Mutual TLS modes.
const (
	MTLSUnset      = "UNSET"
	MTLSDisable    = "DISABLE"
	MTLSPermissive = "PERMISSIVE"
	MTLSStrict     = "STRICT"
)

// PeerAuthentication is Istio's peer (workload-to-workload) authentication
// policy.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=pa,categories=istio-io;security-istio-io
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=".spec.mtls.mode",description="Defines the mTLS mode used for peer authentication."
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type PeerAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PeerAuthenticationSpec `json:"spec,omitempty"`
	Status networkingv1.Status    `json:"status,omitempty"`
}

// PeerAuthenticationList is a list of PeerAuthentications.
//
// +kubebuilder:object:root=true
type PeerAuthenticationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PeerAuthentication `json:"items"`
}
