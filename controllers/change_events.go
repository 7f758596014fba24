package controllers

import (
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/internal/push"
)

// kindEndpointSlice is the kind whose changes alone take the endpoint-only
// path.
const kindEndpointSlice = "EndpointSlice"

// kindPod is the kind whose changes, with EndpointSlices', take the pod
// path (mesh.ComputePodsSince).
const kindPod = "Pod"

// kindNamespace changes take the pod path too (see podChurn).
const kindNamespace = "Namespace"

// kindVirtualService and kindDestinationRule are the kinds whose changes
// alone take the rules path (mesh.ComputeRulesSince).
const (
	kindVirtualService  = "VirtualService"
	kindDestinationRule = "DestinationRule"
)

// changeOf is the change an event of o makes.
func changeOf(o client.Object) push.Change {
	return push.Config(push.Key{Kind: kindOf(o), Namespace: o.GetNamespace(), Name: o.GetName()})
}

// kindOf names an object's kind by its Go type, which the informers
// always set (their TypeMeta is often empty); a metadata-only object
// (Nodes) carries its kind in its TypeMeta.
func kindOf(o client.Object) string {
	if m, ok := o.(*metav1.PartialObjectMetadata); ok && m.Kind != "" {
		return m.Kind
	}
	return reflect.TypeOf(o).Elem().Name()
}
