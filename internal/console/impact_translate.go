package console

import (
	"reflect"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
)

// translateWith is current's translation with change applied. A change of
// one kind the mesh has a narrower translation for takes it, and keeps
// what that kind cannot reach by pointer, which the comparison then skips
// without encoding:
//   - EndpointSlices only: the path the mesh controller itself takes for
//     one (mesh.ComputeEndpointsSince), listeners, routes and clusters
//     kept, only the load assignments of services whose endpoints changed
//     computed again;
//   - VirtualServices only: mesh.ComputeRoutesSince, sidecars keep all but
//     their outbound routes and listeners, translated once per outbound
//     key.
//
// Anything else, or a change a narrow path declines, is translated in full.
func translateWith(current Mesh, change *bundle.Bundle) *mesh.Result {
	merged := Merge(current.Bundle, change)
	if current.Result != nil {
		switch {
		case onlyKind(change, "EndpointSlices"):
			if res, ok := mesh.ComputeEndpointsSince(merged, current.Nodes, current.Result.Resources, current.Result.Model); ok {
				return res
			}
		case onlyKind(change, "VirtualServices"):
			if res, ok := mesh.ComputeRoutesSince(merged, current.Nodes, current.Result.Resources, current.Result.Model); ok {
				return res
			}
		}
	}
	return mesh.Compute(merged, current.Nodes)
}

// onlyKind reports whether change holds objects of the Bundle field kind
// and nothing else (checked field by field, so a kind added to the Bundle
// counts as something else).
func onlyKind(change *bundle.Bundle, kind string) bool {
	if change == nil {
		return false
	}
	v := reflect.ValueOf(change).Elem()
	some := false
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		empty := f.IsZero() || (f.Kind() == reflect.Slice && f.Len() == 0)
		switch {
		case v.Type().Field(i).Name == kind:
			some = !empty
		case !empty:
			return false
		}
	}
	return some
}
