package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// AuthorizationPolicySpec is Istio's access control for the selected
// workloads: which requests are allowed, denied, audited or handed to an
// external authorizer (CUSTOM).
//
// +kubebuilder:validation:XValidation:rule="(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1",message="only one of targetRefs, targetRef or selector can be set"
// +kubebuilder:validation:XValidation:rule="has(self.action) && self.action == 'CUSTOM' ? has(self.provider) : !has(self.provider)",message="provider must be set with action CUSTOM and only with it",fieldPath=".provider"
type AuthorizationPolicySpec struct {
	// Selector picks the workloads (pods) the policy applies to, in its
	// namespace (or every namespace, for a policy in the root namespace).
	// Without selector or targetRef it applies to the whole namespace, or
	// to the whole mesh in the root namespace.
	Selector *WorkloadSelector `json:"selector,omitempty"`
	// TargetRef names the resource the policy attaches to (waypoints and
	// Gateway API gateways in Istio).
	TargetRef *AuthorizationTargetReference `json:"targetRef,omitempty"`
	// TargetRefs names the resources the policy attaches to.
	//
	// +kubebuilder:validation:MaxItems=16
	TargetRefs []AuthorizationTargetReference `json:"targetRefs,omitempty"`
	// Rules match requests; what a match means depends on Action. No rules
	// matches nothing (an ALLOW policy without rules then denies all).
	//
	// +kubebuilder:validation:MaxItems=32
	Rules []AuthorizationRule `json:"rules,omitempty"`
	// Action is ALLOW (the default), DENY, AUDIT or CUSTOM.
	//
	// +kubebuilder:validation:Enum=ALLOW;DENY;AUDIT;CUSTOM
	Action string `json:"action,omitempty"`
	// Provider names the extension provider of a CUSTOM policy.
	Provider *AuthorizationExtensionProvider `json:"provider,omitempty"`
}

// Authorization actions.
const (
	AuthzAllow  = "ALLOW"
	AuthzDeny   = "DENY"
	AuthzAudit  = "AUDIT"
	AuthzCustom = "CUSTOM"
)

// AuthorizationExtensionProvider names a mesh config extension provider.
type AuthorizationExtensionProvider struct {
	// Name of the provider in the mesh configuration.
	Name string `json:"name,omitempty"`
}

// AuthorizationTargetReference names a resource a policy attaches to.
//
// +kubebuilder:validation:XValidation:rule="((self.group == 'core' || self.group.size() == 0) && self.kind == 'Service') || [self.group, self.kind] in [['gateway.networking.k8s.io','Gateway'], ['networking.istio.io','ServiceEntry'], ['gateway.networking.k8s.io','GatewayClass']]",message="Support kinds are core/Service, networking.istio.io/ServiceEntry, gateway.networking.k8s.io/Gateway, gateway.networking.k8s.io/GatewayClass"
// +kubebuilder:validation:XValidation:rule="!has(self.namespace) || self.namespace.size() == 0",message="cross namespace referencing is not currently supported"
type AuthorizationTargetReference struct {
	// Group of the target ("" or "core" for Services).
	//
	// +kubebuilder:validation:MaxLength=253
	Group string `json:"group"`
	// Kind of the target.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`
	// Name of the target.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Namespace of the target; only the policy's own is supported.
	Namespace string `json:"namespace,omitempty"`
}

// AuthorizationRule matches a request from any of From, to any of To,
// when every condition of When holds. A rule with none of them matches
// every request.
type AuthorizationRule struct {
	// From lists the sources; any may match.
	//
	// +kubebuilder:validation:MaxItems=16
	From []AuthorizationRuleFrom `json:"from,omitempty"`
	// To lists the operations; any may match.
	//
	// +kubebuilder:validation:MaxItems=16
	To []AuthorizationRuleTo `json:"to,omitempty"`
	// When lists further conditions, all of which must hold.
	//
	// +kubebuilder:validation:MaxItems=16
	When []AuthorizationCondition `json:"when,omitempty"`
}

// AuthorizationRuleFrom wraps a source.
type AuthorizationRuleFrom struct {
	// Source of the request; every field set must match.
	Source *AuthorizationSource `json:"source,omitempty"`
}

// AuthorizationRuleTo wraps an operation.
type AuthorizationRuleTo struct {
	// Operation of the request; every field set must match.
	Operation *AuthorizationOperation `json:"operation,omitempty"`
}

// AuthorizationSource is the peer (and end user) of a request. Values
// match exactly, by prefix ("abc*"), by suffix ("*abc") or by presence
// ("*").
//
// +kubebuilder:validation:MinProperties=1
type AuthorizationSource struct {
	// Principals are peer identities from mutual TLS,
	// "<trust domain>/ns/<namespace>/sa/<service account>".
	//
	// +kubebuilder:validation:MaxItems=64
	Principals []AuthzMatch `json:"principals,omitempty"`
	// NotPrincipals are peer identities that must not match.
	//
	// +kubebuilder:validation:MaxItems=64
	NotPrincipals []AuthzMatch `json:"notPrincipals,omitempty"`
	// RequestPrincipals are end-user identities from a verified JWT,
	// "<iss>/<sub>".
	//
	// +kubebuilder:validation:MaxItems=64
	RequestPrincipals []AuthzMatch `json:"requestPrincipals,omitempty"`
	// NotRequestPrincipals must not match.
	//
	// +kubebuilder:validation:MaxItems=64
	NotRequestPrincipals []AuthzMatch `json:"notRequestPrincipals,omitempty"`
	// Namespaces of the peer (from its mutual TLS identity).
	//
	// +kubebuilder:validation:MaxItems=64
	Namespaces []AuthzMatch `json:"namespaces,omitempty"`
	// NotNamespaces must not match.
	//
	// +kubebuilder:validation:MaxItems=64
	NotNamespaces []AuthzMatch `json:"notNamespaces,omitempty"`
	// IPBlocks are the peer's (direct remote) addresses or CIDRs.
	//
	// +kubebuilder:validation:MaxItems=64
	IPBlocks []IPBlock `json:"ipBlocks,omitempty"`
	// NotIPBlocks must not match.
	//
	// +kubebuilder:validation:MaxItems=64
	NotIPBlocks []IPBlock `json:"notIpBlocks,omitempty"`
	// RemoteIPBlocks are the original client's addresses (X-Forwarded-For
	// as the proxy trusts it).
	//
	// +kubebuilder:validation:MaxItems=64
	RemoteIPBlocks []IPBlock `json:"remoteIpBlocks,omitempty"`
	// NotRemoteIPBlocks must not match.
	//
	// +kubebuilder:validation:MaxItems=64
	NotRemoteIPBlocks []IPBlock `json:"notRemoteIpBlocks,omitempty"`
}

// AuthorizationOperation is what a request asks for.
//
// +kubebuilder:validation:MinProperties=1
type AuthorizationOperation struct {
	// Hosts are the request's host (authority), case-insensitive.
	//
	// +kubebuilder:validation:MaxItems=64
	Hosts []AuthzMatch `json:"hosts,omitempty"`
	// NotHosts must not match.
	//
	// +kubebuilder:validation:MaxItems=64
	NotHosts []AuthzMatch `json:"notHosts,omitempty"`
	// Ports are the destination (workload) ports.
	//
	// +kubebuilder:validation:MaxItems=64
	Ports []PortValue `json:"ports,omitempty"`
	// NotPorts must not match.
	//
	// +kubebuilder:validation:MaxItems=64
	NotPorts []PortValue `json:"notPorts,omitempty"`
	// Methods are HTTP methods (gRPC: always POST).
	//
	// +kubebuilder:validation:MaxItems=64
	Methods []AuthzMatch `json:"methods,omitempty"`
	// NotMethods must not match.
	//
	// +kubebuilder:validation:MaxItems=64
	NotMethods []AuthzMatch `json:"notMethods,omitempty"`
	// Paths are request paths without the query (gRPC:
	// "/package.Service/Method").
	//
	// +kubebuilder:validation:MaxItems=64
	Paths []NonEmpty `json:"paths,omitempty"`
	// NotPaths must not match.
	//
	// +kubebuilder:validation:MaxItems=64
	NotPaths []NonEmpty `json:"notPaths,omitempty"`
}

// AuthorizationCondition is a further attribute a request must (or must
// not) have; Key is one of Istio's condition keys.
//
// +kubebuilder:validation:XValidation:rule="self.key.matches('^(request[.]headers[[][^]]+[]]|source[.]ip|remote[.]ip|source[.]namespace|source[.]principal|request[.]auth[.]principal|request[.]auth[.]audiences|request[.]auth[.]presenter|request[.]auth[.]claims([[][^]]+[]])+|destination[.]ip|destination[.]port|connection[.]sni|experimental[.]envoy[.]filters[.].+)$')",message="unknown condition key",fieldPath=".key"
// +kubebuilder:validation:XValidation:rule="has(self.values) || has(self.notValues)",message="at least one of values or notValues must be set"
type AuthorizationCondition struct {
	// Key names the attribute, e.g. "request.headers[x-user]".
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key"`
	// Values the attribute may have; any may match.
	//
	// +kubebuilder:validation:MaxItems=64
	Values []NonEmpty `json:"values,omitempty"`
	// NotValues the attribute must not have.
	//
	// +kubebuilder:validation:MaxItems=64
	NotValues []NonEmpty `json:"notValues,omitempty"`
}

// AuthzMatch is a value matched exactly, by prefix ("abc*"), by suffix
// ("*abc") or by presence ("*"), as Istio matches strings.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:XValidation:rule="self.size() <= 2 || !self.substring(1, self.size() - 1).contains('*')",message="'*' is allowed only as a prefix, a suffix or the whole value"
type AuthzMatch string

// IPBlock is an IP address or a CIDR range.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:XValidation:rule="isIP(self) || isCIDR(self)",message="must be an IP address or a CIDR range"
type IPBlock string

// PortValue is a port number, as a string.
//
// +kubebuilder:validation:MaxLength=5
// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]+$') && int(self) >= 1 && int(self) <= 65535",message="port must be between 1-65535"
type PortValue string

// NonEmpty is a value that must not be empty.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=1024
type NonEmpty string

// AuthorizationPolicy is Istio's authorization policy.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ap,categories=istio-io;security-istio-io
// +kubebuilder:printcolumn:name="Action",type=string,JSONPath=".spec.action",description="The operation to take."
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type AuthorizationPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AuthorizationPolicySpec `json:"spec,omitempty"`
	Status networkingv1.Status     `json:"status,omitempty"`
}

// AuthorizationPolicyList is a list of AuthorizationPolicies.
//
// +kubebuilder:object:root=true
type AuthorizationPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AuthorizationPolicy `json:"items"`
}

func init() {
	SchemeBuilder.Register(&AuthorizationPolicy{}, &AuthorizationPolicyList{})
}
