package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

// grpcClusters keeps the clusters gRPC's xDS client accepts, EDS and
// logical-DNS ones, with the transport gRPC reads (grpcTransport: mutual
// TLS from certificate providers, or plaintext), and returns the names of
// those it left out. Each one left out is reported against the object
// that made it so; the routes are then made consistent by
// withoutClusters, so the client never waits for a cluster that will not
// come.
func (g *generator) grpcClusters() map[string]bool {
	left := map[string]bool{}
	loads := make(map[string]int, len(g.out.Endpoints))
	for i, e := range g.out.Endpoints {
		loads[e.GetClusterName()] = i
	}
	kept := g.out.Clusters[:0]
	for _, c := range g.out.Clusters {
		switch c.GetType() {
		case clusterv3.Cluster_EDS, clusterv3.Cluster_LOGICAL_DNS:
			g.grpcTransport(c, loads)
			kept = append(kept, c)
		default:
			left[c.Name] = true
			g.reportLeftOut(c)
		}
	}
	g.out.Clusters = kept
	return left
}

// grpcLeftOut says, per cluster type, why gRPC cannot use it.
var grpcLeftOut = map[clusterv3.Cluster_DiscoveryType]string{
	clusterv3.Cluster_STRICT_DNS:   "resolution DNS: gRPC resolves EDS and single-address DNS (DNS_ROUND_ROBIN) clusters only",
	clusterv3.Cluster_ORIGINAL_DST: "passthrough (resolution NONE or loadBalancer PASSTHROUGH): gRPC has no original-destination clusters",
	clusterv3.Cluster_STATIC:       "static addresses: gRPC reads endpoints over EDS only",
}

func (g *generator) reportLeftOut(c *clusterv3.Cluster) {
	why := grpcLeftOut[c.GetType()]
	if why == "" {
		why = "cluster type " + c.GetType().String() + " is not supported by gRPC"
	}
	msg := "cluster " + c.Name + " left out for proxyless gRPC clients: " + why + "; their calls routed to it fail with UNAVAILABLE (a split sends them to its other destinations)"
	ref, field := g.clusterOwner(c.Name), ""
	if key, ok := names.ParseCluster(c.Name); ok {
		if svc := g.m.Services[key.Host]; svc != nil && svc.FromServiceEntry != nil && c.GetType() != clusterv3.Cluster_ORIGINAL_DST {
			ref, field = model.ObjectRef{Kind: "ServiceEntry", NamespacedName: *svc.FromServiceEntry}, "resolution"
		}
	}
	g.problem(ref, field, msg)
}

// withoutClusters keeps routes consistent with the clusters gRPC gets: a
// split drops the destinations left out (the rest keep their relative
// weights); a route with nothing left to send to answers every call with
// an error. It must not be dropped, or its calls would fall through to
// the next route and reach a destination nobody asked for. gRPC fails
// every call matching a route whose action is not a forwarding one with
// UNAVAILABLE; direct_response 503 says the same to anyone reading the
// config dump.
func withoutClusters(routes []*routev3.Route, left map[string]bool) []*routev3.Route {
	if len(left) == 0 {
		return routes
	}
	for _, r := range routes {
		a := r.GetRoute()
		if a == nil {
			continue
		}
		if c := a.GetCluster(); c != "" && left[c] {
			failRoute(r)
			continue
		}
		wc := a.GetWeightedClusters()
		if wc == nil {
			continue
		}
		kept, total := wc.Clusters[:0], uint32(0)
		for _, w := range wc.Clusters {
			if !left[w.Name] {
				kept = append(kept, w)
				total += w.GetWeight().GetValue()
			}
		}
		wc.Clusters = kept
		if len(kept) == 0 || total == 0 {
			failRoute(r)
		}
	}
	return routes
}

func failRoute(r *routev3.Route) {
	r.Action = &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 503}}
	r.TypedPerFilterConfig = nil
}
