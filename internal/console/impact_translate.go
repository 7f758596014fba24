package console

import (
	"reflect"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
)

// translateWith is current's translation with change applied. A change of
// EndpointSlices only takes the path the mesh controller itself takes for
// one (mesh.ComputeEndpointsSince): listeners, routes and clusters stay
// what they are, and only the load assignments of the services whose
// endpoints changed are computed again, the others kept by pointer, which
// the comparison then skips without encoding them. Anything else, or an
// endpoint change the fast path declines, is translated in full.
func translateWith(current Mesh, change *bundle.Bundle) *mesh.Result {
	merged := Merge(current.Bundle, change)
	if current.Result != nil && endpointsOnly(change) {
		if res, ok := mesh.ComputeEndpointsSince(merged, current.Nodes, current.Result.Resources, current.Result.Model); ok {
			return res
		}
	}
	return mesh.Compute(merged, current.Nodes)
}

// endpointsOnly reports whether change holds EndpointSlices and nothing
// else (checked field by field, so a kind added to the Bundle counts as
// something else).
func endpointsOnly(change *bundle.Bundle) bool {
	if change == nil || len(change.EndpointSlices) == 0 {
		return false
	}
	v := reflect.ValueOf(change).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		empty := f.IsZero() || (f.Kind() == reflect.Slice && f.Len() == 0)
		if v.Type().Field(i).Name != "EndpointSlices" && !empty {
			return false
		}
	}
	return true
}
