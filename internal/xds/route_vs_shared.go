package xds

import (
	"strings"
	"sync"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/route"
)

// A VirtualService's routes were built again for every outbound half that
// sees its host: twenty times at the reference mesh (a namespace each),
// ten at the scoped one (the Sidecars listing it), and as often again on
// every change of it. What route.Build reads of the proxy is small and
// explicit: its namespace and labels only through sourceNamespace and
// sourceLabels matches, its gateways, and, through the two callbacks, the
// clusters the destinations resolve to (with the errors, which name the
// proxy's namespace when it cannot see a host) and the service and
// DestinationRule a hash policy comes from. So a build records those
// callbacks' answers, and another sidecar whose generator gives the same
// answers takes the same routes, problems and endpoint-less clusters.
// VirtualServices matching on the source are built per proxy, as are
// gateways' and proxyless clients' routes (they edit what they build).

// vsRoutesKey is the part of a shared build's input that is compared
// directly; the rest is checked by replaying the recorded reads.
type vsRoutesKey struct {
	vs       *model.VirtualService
	port     uint32
	gateways string
}

// vsRoutesEntry holds the builds made under one key, one per distinct set
// of answers (a proxy namespace the VirtualService's hosts are not
// exported to answers differently, for instance).
type vsRoutesEntry struct {
	mu     sync.Mutex
	builds []*vsRoutesBuild
}

// maxVSRoutesBuilds bounds the builds kept per key: past it, further
// variants are built per proxy.
const maxVSRoutesBuilds = 8

type vsRoutesBuild struct {
	clusters []clusterRead
	hashes   []hashRead
	routes   []*routev3.Route
	problems []ObjectProblem
}

// clusterRead is one ClusterFor call and what it answered.
type clusterRead struct {
	ns          string
	d           networkingv1.Destination
	name, err   string
	noEndpoints bool
}

// hashRead is one HashPolicy call and the inputs it found.
type hashRead struct {
	ns  string
	d   networkingv1.Destination
	svc *model.Service
	dr  *model.DestinationRule
}

// vsRoutes are the routes of vs's http section on port for this proxy;
// shared says they are the model's (never to be modified).
func (g *generator) vsRoutes(vs *model.VirtualService, port uint32) ([]*routev3.Route, bool) {
	if !g.sharesVSRoutes(vs) {
		return g.translateHTTP(vs, vs.Spec.HTTP, port), false
	}
	key := vsRoutesKey{vs: vs, port: port, gateways: strings.Join(g.gateways, ",")}
	e := g.m.Memo(key, func() any { return &vsRoutesEntry{} }).(*vsRoutesEntry)
	e.mu.Lock()
	builds := e.builds
	e.mu.Unlock()
	for _, b := range builds {
		if b.holdsFor(g, port) {
			return b.take(g), true
		}
	}
	b := g.buildRoutes(vs, vs.Spec.HTTP, port)
	e.mu.Lock()
	if len(e.builds) < maxVSRoutesBuilds {
		e.builds = append(e.builds, b)
	}
	e.mu.Unlock()
	return b.take(g), true
}

// sharesVSRoutes: a sidecar (not proxyless) and a VirtualService whose
// matches, its delegates' included, do not read the source.
func (g *generator) sharesVSRoutes(vs *model.VirtualService) bool {
	if g.proxy.Type != names.Sidecar || g.proxyless {
		return false
	}
	return !readsSource(vs.Spec.HTTP, func(d networkingv1.Delegate) []networkingv1.HTTPRoute {
		ref := types.NamespacedName{Namespace: d.Namespace, Name: d.Name}
		if ref.Namespace == "" {
			ref.Namespace = vs.Ref.Namespace
		}
		if child := g.m.VirtualService(ref); child != nil {
			return child.Spec.HTTP
		}
		return nil
	})
}

// readsSource reports a match on sourceNamespace or sourceLabels in the
// rules or in those of the VirtualServices they delegate to.
func readsSource(http []networkingv1.HTTPRoute, delegate func(networkingv1.Delegate) []networkingv1.HTTPRoute) bool {
	for i := range http {
		for _, m := range http[i].Match {
			if m.SourceNamespace != "" || len(m.SourceLabels) > 0 {
				return true
			}
		}
		if d := http[i].Delegate; d != nil && delegate != nil && readsSource(delegate(*d), nil) {
			return true
		}
	}
	return false
}

// buildRoutes builds the routes of an http section, recording what the
// callbacks answered. Nothing of the generator is changed here: take
// applies the build's effects.
func (g *generator) buildRoutes(vs *model.VirtualService, http []networkingv1.HTTPRoute, port uint32) *vsRoutesBuild {
	b := &vsRoutesBuild{}
	routes, errs := route.Build(route.Params{
		VS:         vs.Ref,
		HTTP:       http,
		VSGateways: vs.Gateways,
		Port:       port,
		Proxy:      route.Proxy{Namespace: g.proxy.Namespace, Labels: g.proxy.Labels, Gateways: g.gateways},
		ClusterFor: func(owner types.NamespacedName, d networkingv1.Destination) (string, error) {
			name, noEndpoints, err := g.resolveCluster(owner.Namespace, d, port)
			b.clusters = append(b.clusters, clusterRead{ns: owner.Namespace, d: d, name: name, err: errText(err), noEndpoints: noEndpoints})
			return name, err
		},
		Delegate: g.delegate(vs),
		HashPolicy: func(owner types.NamespacedName, d networkingv1.Destination) []*routev3.RouteAction_HashPolicy {
			svc, dr := g.hashInputs(owner.Namespace, d)
			b.hashes = append(b.hashes, hashRead{ns: owner.Namespace, d: d, svc: svc, dr: dr})
			return hashPolicyOf(svc, dr, d, port)
		},
	})
	for _, e := range errs {
		b.problems = append(b.problems, ObjectProblem{Object: model.ObjectRef{Kind: e.Kind, NamespacedName: e.Object}, Problem: model.Problem{Field: e.Field, Reason: e.Reason}})
	}
	b.routes = routes[:len(routes):len(routes)]
	return b
}

// holdsFor reports whether g's answers to the recorded reads are the
// recorded ones.
func (b *vsRoutesBuild) holdsFor(g *generator, port uint32) bool {
	for _, c := range b.clusters {
		name, noEndpoints, err := g.resolveCluster(c.ns, c.d, port)
		if name != c.name || noEndpoints != c.noEndpoints || errText(err) != c.err {
			return false
		}
	}
	for _, h := range b.hashes {
		if svc, dr := g.hashInputs(h.ns, h.d); svc != h.svc || dr != h.dr {
			return false
		}
	}
	return true
}

// take applies the build's effects to g (its problems and endpoint-less
// clusters) and returns its routes, shared: never modified.
func (b *vsRoutesBuild) take(g *generator) []*routev3.Route {
	for _, c := range b.clusters {
		if c.noEndpoints {
			g.noEndpointClusters()[c.name] = true
		}
	}
	g.out.Problems = append(g.out.Problems, b.problems...)
	return b.routes
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
