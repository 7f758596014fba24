// Package v1 holds the Go types of Istio's networking API (group
// networking.istio.io) as sailplane serves it.
//
// One set of types backs all three served versions. The CRDs are generated
// for v1 and then copied to v1beta1 and v1alpha3 with the same schema (see
// internal/crdgen), so the API server stores every object as v1 and answers
// the other versions without a conversion webhook, as Istio does.
//
// +kubebuilder:object:generate=true
// +groupName=networking.istio.io
package v1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupName is the API group of Istio's traffic-management kinds.
const GroupName = "networking.istio.io"

var (
	// GroupVersion is the storage version.
	GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1"}
	// GroupVersionV1beta1 and GroupVersionV1alpha3 are served with the
	// storage version's schema.
	GroupVersionV1beta1  = schema.GroupVersion{Group: GroupName, Version: "v1beta1"}
	GroupVersionV1alpha3 = schema.GroupVersion{Group: GroupName, Version: "v1alpha3"}

	// ServedVersions lists every version the CRDs serve, storage first.
	ServedVersions = []schema.GroupVersion{GroupVersion, GroupVersionV1beta1, GroupVersionV1alpha3}

	// SchemeBuilder registers the types under the storage version.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
)

// AddToScheme registers the types under the storage version only: a Go
// type registered under several versions makes controller-runtime refuse to
// guess its kind. Clients that want v1beta1 or v1alpha3 use unstructured
// objects, which the API server answers from the same stored object.
var AddToScheme = SchemeBuilder.AddToScheme

// Kinds lists the kinds sailplane serves, by resource name. Istio kinds
// outside this list and security v1's (EnvoyFilter, WorkloadEntry, ...) are reported as
// unsupported wherever sailplane reads manifests, never dropped silently.
var Kinds = map[string]string{
	"Gateway":         "gateways",
	"VirtualService":  "virtualservices",
	"DestinationRule": "destinationrules",
	"ServiceEntry":    "serviceentries",
	"Sidecar":         "sidecars",
}

// Serves reports whether the group and kind is one sailplane serves.
func Serves(gk schema.GroupKind) bool {
	_, ok := Kinds[gk.Kind]
	return ok && gk.Group == GroupName
}

func init() {
	SchemeBuilder.Register(
		&Gateway{}, &GatewayList{},
		&VirtualService{}, &VirtualServiceList{},
		&DestinationRule{}, &DestinationRuleList{},
		&ServiceEntry{}, &ServiceEntryList{},
		&Sidecar{}, &SidecarList{},
	)
}
