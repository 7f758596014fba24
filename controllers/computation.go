package controllers

import (
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/push"
)

// computation is which mesh computation a reconcile ran.
type computation int

const (
	computedFull computation = iota
	computedEndpoints
)

// compute picks the mesh computation by what changed: the cheapest path
// that gives what mesh.Compute would, falling back to Compute when a fast
// path refuses (a node it has no previous result for, a group it cannot
// update). last is the previous reconcile's result (nil before the
// first).
func compute(ch push.Change, b *bundle.Bundle, nodes []mesh.Node, last *mesh.Result) (*mesh.Result, computation) {
	if last != nil && ch.OnlyKinds(kindEndpointSlice) {
		if res, ok := mesh.ComputeEndpointsSince(b, nodes, last.Resources, last.Model); ok {
			return res, computedEndpoints
		}
	}
	// A change of VirtualServices and DestinationRules only takes the
	// rules path here (ch.OnlyKinds("VirtualService", "DestinationRule")).
	return mesh.Compute(b, nodes), computedFull
}
