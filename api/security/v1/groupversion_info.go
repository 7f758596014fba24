// Package v1 holds the Go types of Istio's security API (group
// security.istio.io) as sailplane serves it: PeerAuthentication,
// RequestAuthentication and AuthorizationPolicy.
//
// As for networking.istio.io, one set of types backs every served version:
// the CRD is generated for v1 and copied to v1beta1 with the same schema
// (internal/crdgen), so the API server stores v1 and needs no conversion.
//
// +kubebuilder:object:generate=true
// +groupName=security.istio.io
package v1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupName is the API group of Istio's security kinds.
const GroupName = "security.istio.io"

var (
	// GroupVersion is the storage version.
	GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1"}
	// GroupVersionV1beta1 is served with the storage version's schema.
	GroupVersionV1beta1 = schema.GroupVersion{Group: GroupName, Version: "v1beta1"}

	// ServedVersions lists every version the CRDs serve, storage first.
	ServedVersions = []schema.GroupVersion{GroupVersion, GroupVersionV1beta1}

	// SchemeBuilder registers the types under the storage version.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
)

// AddToScheme registers the types under the storage version only (see
// networking v1's AddToScheme for why).
var AddToScheme = SchemeBuilder.AddToScheme

// Kinds lists the security kinds sailplane serves, by resource name.
var Kinds = map[string]string{
	"PeerAuthentication":    "peerauthentications",
	"RequestAuthentication": "requestauthentications",
	"AuthorizationPolicy":   "authorizationpolicies",
}

// Serves reports whether the group and kind is one sailplane serves.
func Serves(gk schema.GroupKind) bool {
	_, ok := Kinds[gk.Kind]
	return ok && gk.Group == GroupName
}

func init() {
	SchemeBuilder.Register(&PeerAuthentication{}, &PeerAuthenticationList{})
	SchemeBuilder.Register(&RequestAuthentication{}, &RequestAuthenticationList{})
}
