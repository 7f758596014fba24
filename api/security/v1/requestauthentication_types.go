package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// RequestAuthenticationSpec says which end-user tokens (JWTs) the selected
// workloads accept. A request that carries a token none of the rules
// verifies is refused; one that carries no token passes, and an
// AuthorizationPolicy decides what it may do.
//
// +kubebuilder:validation:XValidation:rule="(has(self.selector)?1:0)+(has(self.targetRef)?1:0)+(has(self.targetRefs)?1:0)<=1",message="only one of targetRefs or selector can be set"
type RequestAuthenticationSpec struct {
	// Selector picks the workloads (pods) in the policy's namespace the
	// policy applies to. Without one (and without targetRef/targetRefs) it
	// applies to the whole namespace, or to the whole mesh in the root
	// namespace.
	Selector *WorkloadSelector `json:"selector,omitempty"`
	// TargetRef attaches the policy to a Gateway API gateway or a waypoint
	// (Service, ServiceEntry) instead of selecting pods.
	TargetRef *PolicyTargetReference `json:"targetRef,omitempty"`
	// TargetRefs attaches the policy to several of those.
	//
	// +kubebuilder:validation:MaxItems=16
	TargetRefs []PolicyTargetReference `json:"targetRefs,omitempty"`
	// JWTRules are the issuers whose tokens the workloads accept.
	//
	// +kubebuilder:validation:MaxItems=4096
	JWTRules []JWTRule `json:"jwtRules,omitempty"`
}

// PolicyTargetReference names the object a policy attaches to, in the
// policy's own namespace. Istio's RequestAuthentication schema does not
// restrict the kind.
type PolicyTargetReference struct {
	// Group is the API group of the target ("" or "core" for a Service).
	//
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Group string `json:"group,omitempty"`
	// Kind is the kind of the target.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`
	Kind string `json:"kind"`
	// Name is the name of the target.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Namespace must be empty: Istio does not support cross-namespace
	// targets.
	//
	// +kubebuilder:validation:XValidation:rule="self.size() == 0",message="cross namespace referencing is not currently supported"
	Namespace string `json:"namespace,omitempty"`
}

// JWTRule is one issuer whose tokens are accepted: where the token is
// read from, which keys verify it, and what is passed on after.
//
// +kubebuilder:validation:XValidation:rule="(has(self.jwksUri)?1:0)+(has(self.jwks_uri)?1:0)+(has(self.jwks)?1:0)<=1",message="only one of jwks or jwksUri can be set"
type JWTRule struct {
	// Issuer is the token's required "iss" claim.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	Issuer string `json:"issuer"`
	// Audiences are the accepted "aud" values; empty accepts any.
	Audiences []NonEmptyString `json:"audiences,omitempty"`
	// JWKSURI is where the issuer publishes its public keys (JWKS).
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="url(self).getScheme() in ['http', 'https']",message="url must have scheme http:// or https://"
	JWKSURI string `json:"jwksUri,omitempty"`
	// JWKSURIAlt is jwksUri under its proto name, which Istio also accepts.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="url(self).getScheme() in ['http', 'https']",message="url must have scheme http:// or https://"
	JWKSURIAlt string `json:"jwks_uri,omitempty"`
	// JWKS is the issuer's public key set, inline, as JSON.
	JWKS string `json:"jwks,omitempty"`
	// FromHeaders are the headers the token is read from; by default
	// "Authorization: Bearer <token>".
	FromHeaders []JWTHeader `json:"fromHeaders,omitempty"`
	// FromParams are the query parameters the token is read from; by
	// default "access_token".
	FromParams []NonEmptyString `json:"fromParams,omitempty"`
	// FromCookies are the cookies the token is read from.
	FromCookies []NonEmptyString `json:"fromCookies,omitempty"`
	// OutputPayloadToHeader names a header the verified payload is passed
	// on in (base64url-encoded JSON).
	OutputPayloadToHeader string `json:"outputPayloadToHeader,omitempty"`
	// ForwardOriginalToken keeps the token in the request passed on.
	ForwardOriginalToken bool `json:"forwardOriginalToken,omitempty"`
	// OutputClaimToHeaders copies claims of the verified token to headers.
	OutputClaimToHeaders []ClaimToHeader `json:"outputClaimToHeaders,omitempty"`
	// Timeout bounds fetching the JWKS from JWKSURI.
	Timeout *networkingv1.Duration `json:"timeout,omitempty"`
	// SpaceDelimitedClaims are claims, besides scope and permission, whose
	// space-separated string value authorization matches word by word.
	//
	// +kubebuilder:validation:MaxItems=64
	SpaceDelimitedClaims []NonEmptyString `json:"spaceDelimitedClaims,omitempty"`
	// Presence REQUIRED refuses a request without a valid token of this
	// rule, even when another rule's token verifies; OPTIONAL (the
	// default) lets a request without a token pass.
	//
	// +kubebuilder:validation:Enum=OPTIONAL;REQUIRED
	Presence string `json:"presence,omitempty"`
}

// JWT rule presences.
const (
	JWTOptional = "OPTIONAL"
	JWTRequired = "REQUIRED"
)

// NonEmptyString is a list item that must not be empty.
//
// +kubebuilder:validation:MinLength=1
type NonEmptyString string

// JWTHeader is a header a token is read from, with the prefix before it.
type JWTHeader struct {
	// Name is the header name.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Prefix comes before the token in the header value (e.g. "Bearer ").
	Prefix string `json:"prefix,omitempty"`
}

// ClaimToHeader copies one claim of a verified token to a header.
type ClaimToHeader struct {
	// Header is the header to write.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:Pattern=`^[-_A-Za-z0-9]+$`
	Header string `json:"header"`
	// Claim is the claim whose value is written.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	Claim string `json:"claim"`
}

// RequestAuthentication is Istio's end-user (JWT) authentication policy.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ra,categories=istio-io;security-istio-io
type RequestAuthentication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RequestAuthenticationSpec `json:"spec,omitempty"`
	Status networkingv1.Status       `json:"status,omitempty"`
}

// RequestAuthenticationList is a list of RequestAuthentications.
//
// +kubebuilder:object:root=true
type RequestAuthenticationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RequestAuthentication `json:"items"`
}
