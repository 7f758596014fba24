package xds

import (
	"fmt"
	"slices"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

type validator interface {
	proto.Message
	ValidateAll() error
}

// validate drops every resource that fails Envoy's proto validation, so
// one bad object costs the proxy that resource only, and records why
// against the object that produced it.
func (g *generator) validate() {
	g.dropRefusedDomains()
	g.out.Clusters = g.validClusters(g.out.Clusters)
	g.out.Listeners = keepValid(g, g.out.Listeners, func(l *listenerv3.Listener) (string, model.ObjectRef) {
		return "listener " + l.Name, generatorRef
	})
	g.out.Routes = keepValid(g, g.out.Routes, func(r *routev3.RouteConfiguration) (string, model.ObjectRef) {
		return "route configuration " + r.Name, generatorRef
	})
	g.out.Secrets = keepValid(g, g.out.Secrets, func(s *tlsv3.Secret) (string, model.ObjectRef) {
		return "secret " + s.Name, generatorRef
	})
}

// dropRefusedDomains takes out of the route configurations the domains
// Envoy refuses (empty, or with a NUL, CR or LF: a host that came from a
// multi-line YAML value), and a virtual host left with none, so that one
// bad host costs its virtual host, not the whole table and the listener
// that names it. Virtual hosts and their lists may be shared with other
// proxies' configurations (route_shared.go): what changes is copied,
// nothing is written in place.
func (g *generator) dropRefusedDomains() {
	for _, rc := range g.out.Routes {
		g.dropRefusedIn(rc, nil)
	}
}

// dropRefusedIn is dropRefusedDomains for one route configuration; the
// virtual hosts in vetted are known to have none (kept from an earlier
// translation, which dropped them) and are not looked at.
func (g *generator) dropRefusedIn(rc *routev3.RouteConfiguration, vetted map[*routev3.VirtualHost]bool) {
	refused := func(vh *routev3.VirtualHost) bool { return !vetted[vh] && hasRefusedDomain(vh) }
	if !slices.ContainsFunc(rc.VirtualHosts, refused) {
		return
	}
	var vhosts []*routev3.VirtualHost
	for _, vh := range rc.VirtualHosts {
		if !refused(vh) {
			vhosts = append(vhosts, vh)
		} else if kept, ok := g.keepRefusedOut(rc, vh); ok {
			vhosts = append(vhosts, kept)
		}
	}
	rc.VirtualHosts = vhosts
}

func hasRefusedDomain(vh *routev3.VirtualHost) bool {
	return slices.ContainsFunc(vh.Domains, refusedDomain)
}

func refusedDomain(d string) bool { return d == "" || strings.ContainsAny(d, "\x00\r\n") }

// keepRefusedOut is a copy of vh (which may be shared) without the
// domains Envoy refuses, and whether it has any left; vh has some.
func (g *generator) keepRefusedOut(rc *routev3.RouteConfiguration, vh *routev3.VirtualHost) (*routev3.VirtualHost, bool) {
	var domains []string
	for _, d := range vh.Domains {
		if refusedDomain(d) {
			g.problem(generatorRef, "", fmt.Sprintf("route configuration %s, virtual host %s: domain %q left out: Envoy refuses it", rc.Name, vh.Name, d))
			continue
		}
		domains = append(domains, d)
	}
	if len(domains) == 0 {
		return nil, false
	}
	kept := proto.Clone(vh).(*routev3.VirtualHost)
	kept.Domains = domains
	return kept, true
}

// generatorRef stands for problems no single Istio object caused.
var generatorRef = model.ObjectRef{Kind: "Proxy"}

func keepValid[T validator](g *generator, in []T, owner func(T) (string, model.ObjectRef)) []T {
	out := in[:0]
	for _, r := range in {
		if err := g.valid(r); err != nil {
			what, ref := owner(r)
			g.problem(ref, "", fmt.Sprintf("%s left out: invalid Envoy config: %v", what, err))
			continue
		}
		out = append(out, r)
	}
	return out
}

// validClusters is keepValid of clusters, each reported against the
// object it was built for (validate and the rules and identity updates).
func (g *generator) validClusters(clusters []*clusterv3.Cluster) []*clusterv3.Cluster {
	return keepValid(g, clusters, func(c *clusterv3.Cluster) (string, model.ObjectRef) {
		return "cluster " + c.Name, g.clusterOwner(c.Name)
	})
}

// valid is r.ValidateAll(), with what outbound halves share validated
// once per model: clusters and virtual hosts are shared by pointer across
// halves (cluster_shared.go, route_shared.go) and, being shared, are not
// changed once built. Validating them again for each of a thousand halves
// was a tenth of a mass connect's CPU.
func (g *generator) valid(r validator) error {
	switch m := r.(type) {
	case *clusterv3.Cluster:
		return g.validOnce(m)
	case *routev3.RouteConfiguration:
		return g.routeConfigValid(m)
	}
	return r.ValidateAll()
}

// validKey memoises one shared resource's validation in the model.
type validKey struct{ msg validator }

type validity struct{ err error }

func (g *generator) validOnce(msg validator) error {
	return g.m.Memo(validKey{msg}, func() any { return validity{msg.ValidateAll()} }).(validity).err
}

// routeConfigValid validates a route configuration's virtual hosts once
// each and its other fields here; proto validation of a message is the
// conjunction of its fields', so this is nil exactly when ValidateAll is.
// On any failure the whole table is validated again, so that the problem
// reads as it would without the memo.
func (g *generator) routeConfigValid(rc *routev3.RouteConfiguration) error {
	for _, vh := range rc.VirtualHosts {
		if g.validOnce(vh) != nil {
			return rc.ValidateAll()
		}
	}
	if withoutVirtualHosts(rc).ValidateAll() != nil {
		return rc.ValidateAll()
	}
	return nil
}

// withoutVirtualHosts is rc's other fields, shared with rc (read only).
func withoutVirtualHosts(rc *routev3.RouteConfiguration) *routev3.RouteConfiguration {
	out := &routev3.RouteConfiguration{}
	dst := out.ProtoReflect()
	rc.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd != virtualHostsField {
			dst.Set(fd, v)
		}
		return true
	})
	return out
}

var virtualHostsField = (&routev3.RouteConfiguration{}).ProtoReflect().Descriptor().Fields().ByName("virtual_hosts")

// clusterOwner finds the DestinationRule behind an outbound cluster, whose
// policy is what can make a cluster invalid.
func (g *generator) clusterOwner(name string) model.ObjectRef {
	key, ok := names.ParseCluster(name)
	if !ok {
		return generatorRef
	}
	if svc := g.m.Services[key.Host]; svc != nil {
		if dr := g.m.DestinationRuleFor(g.proxy.Namespace, g.proxy.Labels, svc); dr != nil {
			return model.ObjectRef{Kind: "DestinationRule", NamespacedName: dr.Ref}
		}
	}
	return generatorRef
}

// CheckConsistency reports every reference that does not resolve within
// the resources: an RDS name without a route configuration, a route or
// tcp_proxy naming a cluster that is not there, an EDS cluster without a
// load assignment, an SDS secret that is missing or of the wrong kind. A
// proxy given such a snapshot would drop traffic. It also reports what
// Envoy refuses as a whole (two filter chains of a listener matching the
// same connections, and envoyWholeChecks: invalid protos, names twice,
// regexes RE2 refuses).
func CheckConsistency(r *Resources) []error {
	clusters := map[string]*clusterv3.Cluster{}
	for _, c := range r.Clusters {
		clusters[c.Name] = c
	}
	routes := map[string]bool{}
	for _, rc := range r.Routes {
		routes[rc.Name] = true
	}
	var errs []error
	for _, l := range r.Listeners {
		errs = append(errs, listenerRefs(l, routes, clusters)...)
		errs = append(errs, telemetryRefs(l, clusters)...)
		errs = append(errs, rateLimitChecks(l)...)
		errs = append(errs, globalRateLimitRefs(l, clusters)...)
		errs = append(errs, overlappingChains(l)...)
	}
	for _, rc := range r.Routes {
		errs = append(errs, routeRefs(rc, clusters)...)
	}
	assigned := map[string]bool{}
	for _, e := range r.Endpoints {
		assigned[e.ClusterName] = true
	}
	for _, c := range r.Clusters {
		if c.GetType() == clusterv3.Cluster_EDS && !assigned[c.Name] {
			errs = append(errs, fmt.Errorf("EDS cluster %s has no load assignment", c.Name))
		}
	}
	errs = append(errs, secretConsistency(r)...)
	errs = append(errs, rbacChecks(r)...)
	return append(errs, envoyWholeChecks(r)...)
}

func listenerRefs(l *listenerv3.Listener, routes map[string]bool, clusters map[string]*clusterv3.Cluster) []error {
	var errs []error
	for _, fc := range chainsOf(l) {
		for _, f := range fc.GetFilters() {
			switch f.Name {
			case names.HTTPConnectionManagerFilter:
				var h hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
					errs = append(errs, fmt.Errorf("listener %s: %v", l.Name, err))
					continue
				}
				if rds := h.GetRds(); rds != nil && !routes[rds.RouteConfigName] {
					errs = append(errs, fmt.Errorf("listener %s: route configuration %q missing", l.Name, rds.RouteConfigName))
				}
				if rc := h.GetRouteConfig(); rc != nil {
					errs = append(errs, routeRefs(rc, clusters)...)
				}
				errs = append(errs, jwksRefs(l.Name, &h, clusters)...)
			case names.TCPProxyFilter:
				errs = append(errs, tcpRefs(l.Name, f, clusters)...)
			}
		}
	}
	return errs
}

func tcpRefs(listener string, f *listenerv3.Filter, clusters map[string]*clusterv3.Cluster) []error {
	var tp tcpv3.TcpProxy
	if err := f.GetTypedConfig().UnmarshalTo(&tp); err != nil {
		return []error{fmt.Errorf("listener %s: %v", listener, err)}
	}
	want := []string{tp.GetCluster()}
	for _, w := range tp.GetWeightedClusters().GetClusters() {
		want = append(want, w.Name)
	}
	var errs []error
	for _, c := range want {
		if c != "" && clusters[c] == nil {
			errs = append(errs, fmt.Errorf("listener %s: tcp_proxy cluster %q missing", listener, c))
		}
	}
	return errs
}

func routeRefs(rc *routev3.RouteConfiguration, clusters map[string]*clusterv3.Cluster) []error {
	errs := duplicateDomains(rc)
	for _, vh := range rc.VirtualHosts {
		for _, r := range vh.Routes {
			for _, c := range routeClusters(r) {
				if clusters[c] == nil {
					errs = append(errs, fmt.Errorf("route configuration %s, virtual host %s, route %q: cluster %q missing", rc.Name, vh.Name, r.Name, c))
				}
			}
		}
	}
	return errs
}

func routeClusters(r *routev3.Route) []string {
	a := r.GetRoute()
	if a == nil {
		return nil
	}
	var out []string
	if c := a.GetCluster(); c != "" {
		out = append(out, c)
	}
	for _, w := range a.GetWeightedClusters().GetClusters() {
		out = append(out, w.Name)
	}
	for _, m := range a.GetRequestMirrorPolicies() {
		out = append(out, m.Cluster)
	}
	return out
}

// duplicateDomains reports what makes Envoy refuse a whole route table
// although every proto in it validates: two virtual hosts of one name, or
// one domain (compared in lower case, as Envoy does) in two virtual hosts.
func duplicateDomains(rc *routev3.RouteConfiguration) []error {
	var errs []error
	vhosts := map[string]bool{}
	domains := map[string]string{}
	for _, vh := range rc.VirtualHosts {
		if vhosts[vh.Name] {
			errs = append(errs, fmt.Errorf("route configuration %s: virtual host %s appears twice", rc.Name, vh.Name))
		}
		vhosts[vh.Name] = true
		for _, d := range vh.Domains {
			l := strings.ToLower(d)
			if first, ok := domains[l]; ok {
				errs = append(errs, fmt.Errorf("route configuration %s: domain %q of virtual host %s is already a domain of %s", rc.Name, d, vh.Name, first))
				continue
			}
			domains[l] = vh.Name
		}
	}
	return errs
}
