package mesh

import (
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// ComputeEndpoints is the fast path for a change that touched only
// EndpointSlices: the model is rebuilt, but every group keeps its previous
// listeners, routes and clusters, and only its load assignments are
// recomputed (proxyless gRPC clients are translated in full). Groups share
// results as in Compute. ok is false when a node has no previous result or
// a group cannot take the fast path; the caller then runs Compute.
func ComputeEndpoints(b *bundle.Bundle, nodes []Node, last map[string]*xds.Resources) (*Result, bool) {
	return ComputeEndpointsSince(b, nodes, last, nil)
}

// ComputeEndpointsSince is ComputeEndpoints knowing the model last was
// computed from: only the load assignments of services whose endpoints
// changed since then are computed, the rest are last's own (see
// changedServices). A nil prev computes every load assignment.
func ComputeEndpointsSince(b *bundle.Bundle, nodes []Node, last map[string]*xds.Resources, prev *model.Model) (*Result, bool) {
	m := model.Build(b)
	unchanged := unchangedSince(prev, m)
	res := &Result{Model: m, Resources: map[string]*xds.Resources{}}
	// Nodes that shared a result share the update, unless their locality
	// changed apart (a pod's zone first seen in its EndpointSlice).
	type shared struct {
		prev     *xds.Resources
		locality string
	}
	updated := map[shared]*xds.Resources{}
	// Load assignments depend on the outbound half only, so groups that
	// share it share the recomputation.
	assignments := map[string][]*endpointv3.ClusterLoadAssignment{}
	// A proxyless client's clusters depend on their endpoints (mutual TLS
	// is chosen per cluster from whether every endpoint is meshed, and an
	// ISTIO_MUTUAL cluster of a client without certificates must stay
	// without endpoints), so proxyless nodes are translated in full, as
	// Compute does, sharing what Compute would share.
	proxyless := newTranslations(m)
	for _, n := range nodes {
		before, ok := last[n.ID]
		if !ok {
			return nil, false
		}
		p, found := ProxyFor(m, n)
		if !found {
			return nil, false
		}
		if generatorOf(n) == GeneratorGRPC {
			res.Resources[n.ID] = proxyless.forProxy(p, n)
			continue
		}
		if next, done := updated[shared{before, p.Locality}]; done {
			res.Resources[n.ID] = next
			continue
		}
		key := xds.OutboundKey(m, p) + "|" + generatorOf(n)
		eps, ok := assignments[key]
		if !ok || p.Type == names.Router {
			if eps, ok = endpointsOf(m, p, before, reusable(prev, n, m, p, unchanged)); !ok {
				return nil, false
			}
			assignments[key] = eps
		}
		copied := *before
		copied.Endpoints = eps
		updated[shared{before, p.Locality}] = &copied
		res.Resources[n.ID] = &copied
	}
	res.Groups = len(updated) + len(proxyless.byGroup)
	return res, true
}
