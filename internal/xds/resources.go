package xds

import (
	"sort"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
)

// Resources is one proxy's configuration, each list sorted by name.
type Resources struct {
	Listeners []*listenerv3.Listener
	Routes    []*routev3.RouteConfiguration
	Clusters  []*clusterv3.Cluster
	Endpoints []*endpointv3.ClusterLoadAssignment
	// Secrets are the TLS material the listeners and clusters ask for over
	// SDS (gateway certificates, DestinationRule client certificates).
	Secrets []*tlsv3.Secret
	// Problems found while generating, against the objects that caused
	// them. The same problem may be found for many proxies; Status.Add
	// keeps it once.
	Problems []ObjectProblem
}

// ObjectProblem is a problem with a field of an Istio object.
type ObjectProblem struct {
	Object model.ObjectRef
	model.Problem
}

func (r *Resources) sort() {
	sort.Slice(r.Listeners, func(i, j int) bool { return r.Listeners[i].Name < r.Listeners[j].Name })
	sort.Slice(r.Routes, func(i, j int) bool { return r.Routes[i].Name < r.Routes[j].Name })
	sort.Slice(r.Clusters, func(i, j int) bool { return r.Clusters[i].Name < r.Clusters[j].Name })
	sort.Slice(r.Endpoints, func(i, j int) bool { return r.Endpoints[i].ClusterName < r.Endpoints[j].ClusterName })
	sort.Slice(r.Secrets, func(i, j int) bool { return r.Secrets[i].Name < r.Secrets[j].Name })
}

// generator carries one translation: the model, the proxy, and what it
// found.
type generator struct {
	m        *model.Model
	proxy    Proxy
	gateways []string
	out      *Resources
	// sniDNAT holds the SNI-DNAT clusters AUTO_PASSTHROUGH servers need.
	sniDNAT map[string]sniDNATTarget
	// proxyless says the output is for a proxyless gRPC client.
	proxyless bool
	// unresolved names the clusters of destinations the proxy cannot see;
	// those the output references are added without endpoints.
	unresolved map[string]bool
	// sidecarScope is the proxy's Sidecar scope once scoped is set
	// (sidecar_scope.go); visible caches visibleServices.
	sidecarScope *sidecarScope
	scoped       bool
	visible      []*model.Service
	visibleDone  bool
	// fromKey says the generator was built from an outbound key
	// (outboundGenerator), whose Sidecar is sidecarRef.
	fromKey    bool
	sidecarRef types.NamespacedName
	// reuse, when set, keeps the previous translation of the hosts a
	// rules change did not touch (rules_reusing.go).
	reuse *rulesReuse
}

func (g *generator) problem(ref model.ObjectRef, field, reason string) {
	g.out.Problems = append(g.out.Problems, ObjectProblem{Object: ref, Problem: model.Problem{Field: field, Reason: reason}})
}

// visibleServices returns the services the proxy's namespace can see and
// its Sidecar (if any) keeps in scope, in hostname order.
func (g *generator) visibleServices() []*model.Service {
	if g.visibleDone {
		return g.visible
	}
	var out []*model.Service
	hosts := g.m.Hostnames
	if sc := g.scope(); sc != nil {
		hosts = sc.services // the same order, only those in scope
	}
	for _, h := range hosts {
		if s := g.m.Services[h]; s.ExportTo.VisibleTo(g.proxy.Namespace) && g.serviceInScope(s) {
			out = append(out, s)
		}
	}
	g.visible, g.visibleDone = out, true
	return out
}
