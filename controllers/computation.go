package controllers

import (
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/push"
)

// computation is which mesh computation a reconcile ran.
type computation int

const (
	computedFull computation = iota
	computedEndpoints
	// computedRules recomputed the hosts a VirtualService or
	// DestinationRule change touches; its status is the whole mesh's.
	computedRules
	// computedPods reused the groups' translations for a change of Pods
	// and EndpointSlices (pods recreated under new IPs); its status is
	// the whole mesh's, and its result can be joined to.
	computedPods
)

// compute picks the mesh computation by what changed: the cheapest path
// that gives what mesh.Compute would, falling back to Compute when a fast
// path refuses (a node it has no previous result for, a group it cannot
// update). last is the previous reconcile's result (nil before the
// first).
func compute(ch push.Change, b *bundle.Bundle, nodes []mesh.Node, last *mesh.Result) (*mesh.Result, computation) {
	// Tried before the endpoint-only path: its result keeps what a later
	// pod change or join starts from, the endpoint-only path's does not.
	if last != nil && podChurn(ch) {
		if res, ok := podsSince(ch, b, nodes, last); ok {
			return res, computedPods
		}
	}
	if last != nil && ch.OnlyKinds(kindEndpointSlice) {
		if res, ok := mesh.ComputeEndpointsSince(b, nodes, last.Resources, last.Model); ok {
			return res, computedEndpoints
		}
	}
	if last != nil && ch.OnlyKinds(kindVirtualService, kindDestinationRule) {
		if res, ok := mesh.ComputeRulesSince(b, nodes, last); ok {
			return res, computedRules
		}
	}
	return mesh.Compute(b, nodes), computedFull
}

// podsSince is the pod path; a change of EndpointSlices alone names them,
// so that the model is made from the last one's rather than built.
func podsSince(ch push.Change, b *bundle.Bundle, nodes []mesh.Node, last *mesh.Result) (*mesh.Result, bool) {
	if !ch.OnlyKinds(kindEndpointSlice) {
		return mesh.ComputePodsSince(b, nodes, last)
	}
	var slices []types.NamespacedName
	for k := range ch.Configs {
		slices = append(slices, types.NamespacedName{Namespace: k.Namespace, Name: k.Name})
	}
	return mesh.ComputeSlicesSince(b, nodes, last, slices)
}

// podChurn reports a change of Pods, EndpointSlices and Namespaces only,
// proxies joining or not: pods recreated under new IPs come with their
// proxies reconnecting under new node ids. The model reads nothing of a
// Namespace object (a namespace is where objects are, not what it says),
// so a namespace created or relabelled changes no translation: the pod
// path, which compares the models itself, gives what a full reconcile
// would at a fraction of its cost and memory (a full reconcile at 1000
// services is the control plane's largest allocation after start-up).
func podChurn(ch push.Change) bool {
	if ch.Full || len(ch.Configs) == 0 {
		return false
	}
	for k := range ch.Configs {
		if k.Kind != kindPod && k.Kind != kindEndpointSlice && k.Kind != kindNamespace {
			return false
		}
	}
	return true
}
