package mesh

import (
	"reflect"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xds"
)

// An endpoint-only change costs the services it touched: a load
// assignment is a function of the proxy (its namespace, labels and
// locality: what its outbound key and locality hold), the DestinationRule
// of its host and the host's service (endpoints, visibility). The fast
// path runs only when nothing but EndpointSlices changed, so the
// DestinationRules are those of the previous reconcile; a proxy whose
// key and locality are what they were then keeps the previous load
// assignment of every host whose service is unchanged, by pointer.

// unchangedSince reports, for a host, whether its service in m is as it
// was in prev; with no prev, nothing is known to be unchanged.
func unchangedSince(prev, m *model.Model) func(host string) bool {
	if prev == nil {
		return nil
	}
	same := map[string]bool{}
	for host, svc := range m.Services {
		old := prev.Services[host]
		same[host] = old == svc || old != nil && model.SameEndpoints(old.Endpoints, svc.Endpoints) && reflect.DeepEqual(old.ExportTo, svc.ExportTo)
	}
	return func(host string) bool { return same[host] }
}

// reusable is the unchanged test for proxy p (node n) if its previous load
// assignments were computed for the same proxy, else nil.
func reusable(prev *model.Model, n Node, m *model.Model, p xds.Proxy, unchanged func(string) bool) func(string) bool {
	if unchanged == nil {
		return nil
	}
	before, found := ProxyFor(prev, n)
	if !found || before.Locality != p.Locality || xds.OutboundKey(prev, before) != xds.OutboundKey(m, p) {
		return nil
	}
	return unchanged
}

// endpointsOf computes the proxy's load assignments, reusing the previous
// ones where unchanged allows.
func endpointsOf(m *model.Model, p xds.Proxy, before *xds.Resources, unchanged func(string) bool) ([]*endpointv3.ClusterLoadAssignment, bool) {
	if unchanged == nil {
		return xds.EndpointsFor(m, p, before.Clusters)
	}
	return xds.EndpointsReusing(m, p, before.Clusters, before.Endpoints, unchanged)
}
