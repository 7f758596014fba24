package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
)

// RateLimitPolicySpec limits the requests (and, on TCP ports, the
// connections) the selected workloads accept. One in the root namespace
// without selector applies to the mesh, one elsewhere without selector to
// its namespace, one with a selector or targetRef to those workloads; the
// most specific one applies, whole (policies are not merged).
//
// +kubebuilder:validation:XValidation:rule="!(has(self.selector) && has(self.targetRef))",message="only one of selector or targetRef can be set"
type RateLimitPolicySpec struct {
	// Selector picks the pods of the policy's namespace it applies to.
	Selector *securityv1.WorkloadSelector `json:"selector,omitempty"`
	// TargetRef names a Service (its pods' inbound side) or a Gateway (the
	// gateway pods' listeners) of the policy's namespace.
	TargetRef *PolicyTargetReference `json:"targetRef,omitempty"`
	// Rules are the limits. A request takes a token from the bucket of
	// every rule that matches it and is refused when any bucket is empty.
	//
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.filter(r, !has(r.match) && has(r.local)).size() <= 1",message="at most one local rule may have no match"
	// +kubebuilder:validation:XValidation:rule="self.all(r, self.exists_one(o, o.name == r.name))",message="rule names must be unique"
	Rules []RateLimitRule `json:"rules"`
	// Response is what a refused request gets.
	Response *RateLimitResponse `json:"response,omitempty"`
	// LimitHeaders returns the X-RateLimit-Limit, -Remaining and -Reset
	// headers on every response.
	LimitHeaders bool `json:"limitHeaders,omitempty"`
	// DryRun counts the requests that would be refused (Envoy's
	// rate_limited statistics) but lets every one through.
	DryRun bool `json:"dryRun,omitempty"`
}

// PolicyTargetReference names the Service or Gateway a policy is attached to.
//
// +kubebuilder:validation:XValidation:rule="(self.kind == 'Service' && (!has(self.group) || self.group.size() == 0 || self.group == 'core')) || (self.kind == 'Gateway' && has(self.group) && self.group == 'networking.istio.io')",message="targetRef must be a core Service or a networking.istio.io Gateway"
type PolicyTargetReference struct {
	// Group of the target ("" for core).
	//
	// +kubebuilder:validation:MaxLength=253
	Group string `json:"group,omitempty"`
	// Kind of the target: Service or Gateway.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`
	// Name of the target, in the policy's namespace.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// RateLimitRule is one limit and the requests it counts: a token bucket
// each proxy keeps (local), a count kept by a rate limit service
// (global), or both.
//
// +kubebuilder:validation:XValidation:rule="has(self.local) || has(self.global)",message="a rule needs local, global or both"
type RateLimitRule struct {
	// Name identifies the rule in statistics and status.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// Match restricts the rule to part of the traffic; without it the rule
	// counts every request (every connection on TCP ports).
	Match *RateLimitMatch `json:"match,omitempty"`
	// Local is the token bucket each proxy keeps for itself.
	Local *LocalLimit `json:"local,omitempty"`
	// Global sends the requests the rule counts to a rate limit service,
	// which decides for the whole mesh.
	Global *GlobalLimit `json:"global,omitempty"`
}

// GlobalLimit names the rate limit service that counts a rule's
// requests. Envoy asks it with the descriptor {sailplane_rule: <rule
// name>} in the provider's domain; the service's own configuration holds
// the limit.
type GlobalLimit struct {
	// Provider is a rateLimitProviders entry of ConfigMap istio's
	// "sailplane" key.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Provider string `json:"provider"`
}

// LocalLimit is a token bucket: it starts full with maxTokens, gains
// tokensPerFill every fillInterval up to maxTokens, and each request takes
// one token.
//
// +kubebuilder:validation:XValidation:rule="!has(self.tokensPerFill) || self.tokensPerFill <= self.maxTokens",message="maxTokens (the burst) must not be below tokensPerFill (the rate)"
// +kubebuilder:validation:XValidation:rule="duration(self.fillInterval) >= duration('50ms')",message="fillInterval must be at least 50ms (Envoy refuses shorter)"
type LocalLimit struct {
	// MaxTokens is the burst: the bucket's size and starting content.
	//
	// +kubebuilder:validation:Minimum=1
	MaxTokens uint32 `json:"maxTokens"`
	// TokensPerFill is the tokens added each fillInterval (default 1).
	//
	// +kubebuilder:validation:Minimum=1
	TokensPerFill *uint32 `json:"tokensPerFill,omitempty"`
	// FillInterval is how often tokens are added, e.g. "1s" or "1m".
	//
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:Format=duration
	FillInterval metav1.Duration `json:"fillInterval"`
}

// RateLimitMatch selects requests; every field given must match.
type RateLimitMatch struct {
	// Path matches the request path exactly or by prefix.
	Path *PathMatch `json:"path,omitempty"`
	// Method is the HTTP method, e.g. POST.
	//
	// +kubebuilder:validation:MaxLength=32
	Method string `json:"method,omitempty"`
	// Headers must all match; keys are lower-case header names.
	//
	// +kubebuilder:validation:MaxProperties=16
	Headers map[string]networkingv1.StringMatch `json:"headers,omitempty"`
	// From restricts the rule to callers with these mutual-TLS identities.
	From *SourceMatch `json:"from,omitempty"`
}

// PathMatch is an exact path or a prefix.
//
// +kubebuilder:validation:XValidation:rule="(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) == 1",message="exactly one of exact or prefix must be set"
type PathMatch struct {
	Exact  *string `json:"exact,omitempty"`
	Prefix *string `json:"prefix,omitempty"`
}

// SourceMatch names callers by principal or namespace.
type SourceMatch struct {
	// Principals are SPIFFE identities without the spiffe:// prefix.
	//
	// +kubebuilder:validation:MaxItems=16
	Principals []string `json:"principals,omitempty"`
	// Namespaces are the callers' namespaces.
	//
	// +kubebuilder:validation:MaxItems=16
	Namespaces []string `json:"namespaces,omitempty"`
}

// RateLimitResponse is the answer to a refused request.
type RateLimitResponse struct {
	// Status is the HTTP status (default 429).
	//
	// +kubebuilder:validation:Minimum=400
	// +kubebuilder:validation:Maximum=599
	Status *int32 `json:"status,omitempty"`
	// Headers are added to the refusal.
	//
	// +kubebuilder:validation:MaxProperties=16
	Headers map[string]string `json:"headers,omitempty"`
}

// RateLimitPolicy limits the requests selected workloads accept.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=rlp,categories=sailplane
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type RateLimitPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RateLimitPolicySpec `json:"spec,omitempty"`
	Status networkingv1.Status `json:"status,omitempty"`
}

// RateLimitPolicyList is a list of RateLimitPolicies.
//
// +kubebuilder:object:root=true
type RateLimitPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RateLimitPolicy `json:"items"`
}
