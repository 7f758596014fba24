package mesh

import (
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
)

// ComputeEndpoints is the fast path for a change that touched only
// EndpointSlices: the model is rebuilt, but every group keeps its previous
// listeners, routes and clusters, and only its load assignments are
// recomputed. Groups share results as in Compute. ok is false when a node
// has no previous result or a group cannot take the fast path; the caller
// then runs Compute.
func ComputeEndpoints(b *bundle.Bundle, nodes []Node, last map[string]*xds.Resources) (*Result, bool) {
	m := model.Build(b)
	res := &Result{Model: m, Resources: map[string]*xds.Resources{}}
	updated := map[*xds.Resources]*xds.Resources{}
	for _, n := range nodes {
		prev, ok := last[n.ID]
		if !ok {
			return nil, false
		}
		next, done := updated[prev]
		if !done {
			p, found := ProxyFor(m, n)
			if !found {
				return nil, false
			}
			eps, ok := xds.EndpointsFor(m, p, prev.Clusters)
			if !ok {
				return nil, false
			}
			copied := *prev
			copied.Endpoints = eps
			next = &copied
			updated[prev] = next
		}
		res.Resources[n.ID] = next
	}
	res.Groups = len(updated)
	return res, true
}
