package xds

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/proto"
)

// WithoutSDS is a group's resources as a proxy that may hold no secrets
// gets them (one on the plaintext xDS port): nothing in them names an SDS
// secret, since asking for one there ends the proxy's whole ADS stream and
// Envoy would reconnect and ask again. What needed a secret fails closed
// instead of falling back to less:
//   - a filter chain whose transport socket names a secret (mutual TLS,
//     a gateway credential) keeps its match but loses its transport
//     socket and filters: Envoy closes the connections it takes, so a
//     STRICT port never falls through to another chain;
//   - a cluster's transport socket matches that name a secret (auto mTLS's
//     tlsMode-istio) are dropped: mesh endpoints get the plaintext
//     default, as from a client with no certificate;
//   - a cluster whose own transport socket names one (ISTIO_MUTUAL, a
//     credentialName) keeps its name but has no endpoints (a DNS or
//     original-destination one becomes static), so nothing is sent
//     unprotected.
//
// Secrets are none. r is not changed; resources that need no change are
// shared with it.
func WithoutSDS(r *Resources) *Resources {
	out := *r
	out.Secrets = nil
	out.Listeners = make([]*listenerv3.Listener, 0, len(r.Listeners))
	for _, l := range r.Listeners {
		out.Listeners = append(out.Listeners, listenerWithoutSDS(l))
	}
	empty := map[string]bool{}
	out.Clusters = make([]*clusterv3.Cluster, 0, len(r.Clusters))
	for _, c := range r.Clusters {
		nc, closed := clusterWithoutSDS(c)
		if closed {
			empty[c.Name] = true
		}
		out.Clusters = append(out.Clusters, nc)
	}
	if len(empty) > 0 {
		out.Endpoints = make([]*endpointv3.ClusterLoadAssignment, 0, len(r.Endpoints))
		for _, e := range r.Endpoints {
			if empty[e.ClusterName] {
				e = &endpointv3.ClusterLoadAssignment{ClusterName: e.ClusterName}
			}
			out.Endpoints = append(out.Endpoints, e)
		}
	}
	return &out
}

func listenerWithoutSDS(l *listenerv3.Listener) *listenerv3.Listener {
	needs := false
	for _, fc := range chainsOf(l) {
		needs = needs || len(sdsRefs(fc.GetTransportSocket())) > 0
	}
	if !needs {
		return l
	}
	nl := proto.Clone(l).(*listenerv3.Listener)
	for _, fc := range chainsOf(nl) {
		if len(sdsRefs(fc.GetTransportSocket())) > 0 {
			fc.TransportSocket, fc.Filters = nil, nil
		}
	}
	return nl
}

// clusterWithoutSDS returns c without SDS, and whether it lost its
// endpoints for it.
func clusterWithoutSDS(c *clusterv3.Cluster) (*clusterv3.Cluster, bool) {
	closed := len(sdsRefs(c.GetTransportSocket())) > 0
	matches := false
	for _, m := range c.GetTransportSocketMatches() {
		matches = matches || len(sdsRefs(m.GetTransportSocket())) > 0
	}
	if !closed && !matches {
		return c, false
	}
	// Only top-level fields change below: the rest is shared with c.
	nc := shallowCluster(c)
	var keep []*clusterv3.Cluster_TransportSocketMatch
	for _, m := range nc.TransportSocketMatches {
		if len(sdsRefs(m.GetTransportSocket())) == 0 {
			keep = append(keep, m)
		}
	}
	nc.TransportSocketMatches = keep
	if !closed {
		return nc, false
	}
	nc.TransportSocket = nil
	if nc.GetType() != clusterv3.Cluster_EDS {
		// EDS clusters' load assignments are emptied by the caller; the
		// others become static with none (DNS and original destination
		// would find endpoints of their own).
		nc.ClusterDiscoveryType = &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}
		if nc.LbPolicy == clusterv3.Cluster_CLUSTER_PROVIDED {
			nc.LbPolicy = clusterv3.Cluster_ROUND_ROBIN
		}
		if nc.GetOriginalDstLbConfig() != nil {
			nc.LbConfig = nil
		}
		nc.LoadAssignment = &endpointv3.ClusterLoadAssignment{ClusterName: nc.Name}
	}
	return nc, true
}
