package xdsserver

import (
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"

	"github.com/sailplane/sailplane/internal/xds"
)

// FilterSubscribed keeps, for each type the proxy names resources of, only
// the resources it asked for. Proxyless gRPC clients name everything they
// want, one dial target at a time; filtering their snapshot makes a type's
// version move only when something they asked for changed, so they are not
// pushed the rest of the mesh's changes. Types asked for as a wildcard are
// kept whole.
func FilterSubscribed(r *xds.Resources, subs map[string][]string) *xds.Resources {
	out := *r
	out.Listeners = keep(r.Listeners, subs[resource.ListenerType])
	out.Routes = keep(r.Routes, subs[resource.RouteType])
	out.Clusters = keep(r.Clusters, subs[resource.ClusterType])
	out.Secrets = keep(r.Secrets, subs[resource.SecretType])
	out.Endpoints = keepBy(r.Endpoints, subs[resource.EndpointType], func(e *endpointv3.ClusterLoadAssignment) string { return e.ClusterName })
	return &out
}

type named interface{ GetName() string }

func keep[T named](in []T, names []string) []T {
	return keepBy(in, names, func(v T) string { return v.GetName() })
}

func keepBy[T any](in []T, names []string, name func(T) string) []T {
	if len(names) == 0 {
		return in
	}
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	var out []T
	for _, v := range in {
		if want[name(v)] {
			out = append(out, v)
		}
	}
	return out
}
