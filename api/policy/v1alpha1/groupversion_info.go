// Package v1alpha1 holds sailplane's own policy API (group
// policy.sailplane.io): RateLimitPolicy. Istio has no API for rate limits
// (its users hand-write EnvoyFilters); this group gives them one with
// Istio's habits: selectors, namespace and root-namespace scope, status.
//
// +kubebuilder:object:generate=true
// +groupName=policy.sailplane.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupName is the API group of sailplane's policy kinds.
const GroupName = "policy.sailplane.io"

var (
	// GroupVersion is the storage (and only served) version.
	GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

	// ServedVersions lists every version the CRD serves, storage first.
	ServedVersions = []schema.GroupVersion{GroupVersion}

	// SchemeBuilder registers the types under the storage version.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
)

// AddToScheme registers the types.
var AddToScheme = SchemeBuilder.AddToScheme

// Kinds lists the policy kinds sailplane serves, by resource name.
var Kinds = map[string]string{
	"RateLimitPolicy": "ratelimitpolicies",
}

// Serves reports whether the group and kind is one sailplane serves.
func Serves(gk schema.GroupKind) bool {
	_, ok := Kinds[gk.Kind]
	return ok && gk.Group == GroupName
}

func init() {
	SchemeBuilder.Register(&RateLimitPolicy{}, &RateLimitPolicyList{})
}
