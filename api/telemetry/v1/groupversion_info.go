// Package v1 holds the Go types of Istio's telemetry API (group
// telemetry.istio.io) as sailplane serves it: Telemetry.
//
// As for the other groups, one set of types backs every served version:
// the CRD is generated for v1 and copied to v1alpha1 with the same schema
// (internal/crdgen), so the API server stores v1 and needs no conversion.
//
// +kubebuilder:object:generate=true
// +groupName=telemetry.istio.io
package v1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupName is the API group of Istio's telemetry kinds.
const GroupName = "telemetry.istio.io"

var (
	// GroupVersion is the storage version.
	GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1"}
	// GroupVersionV1alpha1 is served with the storage version's schema.
	GroupVersionV1alpha1 = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

	// ServedVersions lists every version the CRD serves, storage first.
	ServedVersions = []schema.GroupVersion{GroupVersion, GroupVersionV1alpha1}

	// SchemeBuilder registers the types under the storage version.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
)

// AddToScheme registers the types under the storage version only (see
// networking v1's AddToScheme for why).
var AddToScheme = SchemeBuilder.AddToScheme

// Kinds lists the telemetry kinds sailplane serves, by resource name.
var Kinds = map[string]string{
	"Telemetry": "telemetries",
}

// Serves reports whether the group and kind is one sailplane serves.
func Serves(gk schema.GroupKind) bool {
	_, ok := Kinds[gk.Kind]
	return ok && gk.Group == GroupName
}

func init() {
	SchemeBuilder.Register(&Telemetry{}, &TelemetryList{})
}
