package xds

import (
	"sort"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sailplane/sailplane/internal/defaults"
)

func (g *generator) noEndpointClusters() map[string]bool {
	if g.unresolved == nil {
		g.unresolved = map[string]bool{}
	}
	return g.unresolved
}

// unresolvedClusters adds, for every destination host the proxy cannot see
// that a generated route or tcp_proxy still sends to, its cluster with no
// endpoints: EDS like any service cluster (so gRPC clients accept it too,
// and the endpoint-only path recomputes it like the others), with an empty
// load assignment. Envoy answers its requests with 503 (no healthy
// upstream), which is what Istio's proxies do for such a route; the route
// table stays self-consistent.
func (g *generator) unresolvedClusters() {
	if len(g.unresolved) == 0 {
		return
	}
	have := map[string]bool{}
	for _, c := range g.out.Clusters {
		have[c.Name] = true
	}
	var missing []string
	for name := range g.referencedClusters() {
		if g.unresolved[name] && !have[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		g.addCluster(unresolvedCluster(name))
		g.out.Endpoints = append(g.out.Endpoints, loadAssignment(name, nil))
	}
}

// unresolvedCluster is the endpoint-less cluster of a destination the
// proxy cannot see.
func unresolvedCluster(name string) *clusterv3.Cluster {
	return &clusterv3.Cluster{
		Name:                 name,
		ConnectTimeout:       durationpb.New(defaults.ConnectTimeout),
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig: &clusterv3.Cluster_EdsClusterConfig{EdsConfig: &corev3.ConfigSource{
			ResourceApiVersion:    corev3.ApiVersion_V3,
			ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
		}},
	}
}

// referencedClusters lists every cluster the generated routes (including
// mirrors) and tcp_proxies name.
func (g *generator) referencedClusters() map[string]bool {
	set := map[string]bool{}
	for _, rc := range g.out.Routes {
		for _, vh := range rc.VirtualHosts {
			for _, r := range vh.Routes {
				for _, c := range routeClusters(r) {
					set[c] = true
				}
			}
		}
	}
	for _, l := range g.out.Listeners {
		for _, fc := range chainsOf(l) {
			for _, f := range fc.Filters {
				for _, c := range tcpProxyClusters(f) {
					set[c] = true
				}
			}
		}
	}
	return set
}
