// Package mesh is one reconcile of the whole mesh as a pure function: the
// input bundle and the connected proxies in, each proxy's resources and
// every Istio object's status out. The controllers call it and publish the
// result; it reads no cluster and keeps no state.
package mesh

import (
	"sort"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/parallel"
	"github.com/sailplane/sailplane/internal/xds"
)

// Node is a connected proxy as the ADS server saw it.
type Node struct {
	ID       string
	Metadata *structpb.Struct
	// Identity is what the proxy proved on the authenticated port; nil on
	// the plaintext port.
	Identity *identity.Identity
	// Locality is the node locality the proxy announced ("region/zone/
	// subzone"); empty when it announced none.
	Locality model.Locality
}

// Result is one reconcile's output.
type Result struct {
	Model *model.Model
	// Resources by node id. Proxies of one group share the same pointer,
	// so callers can convert each group once.
	Resources map[string]*xds.Resources
	// Waiting lists nodes whose pod is not known yet and whose metadata
	// does not say enough to configure them; they get config once their
	// pod appears.
	Waiting []string
	// Groups is how many distinct translations were run.
	Groups int
	// NewProblems counts the problems a Join found that Model's status
	// does not hold (see Join); zero from Compute.
	NewProblems int

	// memo is the translations a Join or the pod path starts from:
	// Compute's, or what ComputePodsSince and ComputeRulesSince leave in
	// the same shape; nil from the endpoint-only and routes-only paths,
	// whose groups it would not describe.
	memo *translations
}

// Compute builds the model and every node's configuration, translating
// once per group of identical proxies. The status it leaves in the model
// does not depend on which proxies are connected: it also translates, for
// their problems only, a representative of every kind of proxy that could
// see each object (status_sources.go).
func Compute(b *bundle.Bundle, nodes []Node) *Result {
	m := model.Build(b)
	res := &Result{Model: m, Resources: map[string]*xds.Resources{}}
	t := newTranslations(m)
	proxies := make([]xds.Proxy, len(nodes))
	known := make([]bool, len(nodes))
	for i, n := range nodes {
		proxies[i], known[i] = ProxyFor(m, n)
	}
	t.sidecarHalves(proxies, known, nodes, representativeSidecars(m))
	for i, n := range nodes {
		if !known[i] {
			res.Waiting = append(res.Waiting, n.ID)
			continue
		}
		res.Resources[n.ID] = t.forProxy(proxies[i], n)
	}
	for _, p := range representativeGateways(m) {
		t.gatewayProblems(p)
	}
	for _, r := range t.parts() {
		for _, pr := range r.Problems {
			m.Status.Add(pr.Object, pr.Field, "%s", pr.Reason)
		}
	}
	res.Groups = len(t.byGroup)
	res.memo = t
	sort.Strings(res.Waiting)
	return res
}

// translations memoises one reconcile's work as xds.Translate's memo: a
// sidecar's or proxyless client's outbound half once per xds.OutboundInput
// (namespace, source labels, Sidecar resource, generator), the part a
// group decides (inbound half, gateway) once per xds.GroupInput, each
// group's whole configuration once. The maps are keyed by the inputs'
// strings (xds.OutboundKey, xds.GroupKey).
type translations struct {
	m                          *model.Model
	byGroup, outbound, inbound map[string]*xds.Resources
	// workloads is, by group, the xds.WorkloadKey of the proxy whose
	// translation the group got: another pod may take it only with the
	// same (ComputePodsSince).
	workloads map[string]string
	// carried are problems of halves this memo does not hold, by
	// "out|" or "in|" and the key, still true of its model: the halves a
	// pod-only change kept (ComputePodsSince), whose load assignments
	// went stale.
	carried map[string][]xds.ObjectProblem
	// stale are outbound halves of earlier memos whose load assignments
	// may be out of date (pods_stale_halves.go); translating is the
	// proxy forProxy is translating, which a stale half is refreshed for.
	stale       map[string]staleHalf
	translating *xds.Proxy
	// aligned marks the group resources whose load assignments are known
	// to follow their EDS clusters one for one, in order: those the pods
	// path built, so the next one need not walk their clusters to know.
	aligned map[*xds.Resources]bool
	// edsHosts are, by cluster list, the hosts its load assignments follow
	// (pods_assignments.go): a pod-only change keeps a group's clusters, so
	// the next one finds them here.
	edsHosts map[clusterList]clusterHosts
}

func newTranslations(m *model.Model) *translations {
	return &translations{m: m, byGroup: map[string]*xds.Resources{}, outbound: map[string]*xds.Resources{}, inbound: map[string]*xds.Resources{},
		workloads: map[string]string{}, carried: map[string][]xds.ObjectProblem{}, aligned: map[*xds.Resources]bool{},
		edsHosts: map[clusterList]clusterHosts{}}
}

// forProxy is the configuration of proxy p (node n: ProxyFor put in p
// what of n matters).
func (t *translations) forProxy(p xds.Proxy, n Node) *xds.Resources {
	group := xds.GroupKey(p)
	if r, ok := t.byGroup[group]; ok {
		return r
	}
	if p.Type == names.Sidecar && !p.Proxyless {
		t.translating = &p // proxyless halves' load assignments are gRPC's
	}
	r := xds.Translate(t.m, p, t)
	t.translating = nil
	t.byGroup[group], t.workloads[group] = r, xds.WorkloadKey(p)
	return r
}

// Outbound and Group make translations an xds.Memo.
func (t *translations) Outbound(k xds.OutboundInput, f func() *xds.Resources) *xds.Resources {
	key := k.String()
	return memo(t.outbound, key, func() *xds.Resources {
		if s, ok := t.stale[key]; ok && t.translating != nil {
			if r, ok := t.refreshed(s, *t.translating); ok {
				return r
			}
		}
		return f()
	})
}

func (t *translations) Group(k xds.GroupInput, f func() *xds.Resources) *xds.Resources {
	return memo(t.inbound, k.String(), f)
}

// gatewayProblems translates a representative gateway unless a connected
// gateway of its group was translated; the result only reports problems.
func (t *translations) gatewayProblems(p xds.Proxy) {
	group := xds.GroupKey(p)
	if _, ok := t.inbound[group]; !ok {
		t.inbound[group] = xds.Generate(t.m, p)
	}
}

// sidecarHalves translates the sidecars' distinct outbound halves, then
// their distinct inbound halves, on every core: each half is a pure
// function of the model and one proxy, and together they are nearly all of
// a reconcile's translation. forProxy then finds them memoised.
//
// The outbound halves of the representatives of namespaces without a
// connected sidecar (see status_sources.go) join the same batch.
func (t *translations) sidecarHalves(proxies []xds.Proxy, known []bool, nodes []Node, representatives []xds.Proxy) {
	var outKeys, inKeys []string
	var outProxy, inProxy []xds.Proxy
	seen := t.translated() // a Join's memo holds halves already
	covered := map[string]bool{}
	// A connected sidecar stands for its namespace only under the Sidecar
	// resource the representative gets: another one scopes other hosts.
	for i, p := range proxies {
		if known[i] && p.Type == names.Sidecar && generatorOf(nodes[i]) != GeneratorGRPC {
			covered[p.Namespace+"|"+xds.SidecarKey(t.m, p)] = true
		}
	}
	for _, p := range representatives {
		if k := xds.OutboundKey(t.m, p); !covered[p.Namespace+"|"+xds.SidecarKey(t.m, p)] && !seen["out|"+k] {
			seen["out|"+k] = true
			outKeys, outProxy = append(outKeys, k), append(outProxy, p)
		}
	}
	for i, p := range proxies {
		if !known[i] || p.Type == names.Router || generatorOf(nodes[i]) == GeneratorGRPC {
			continue
		}
		if _, done := t.byGroup[xds.GroupKey(p)]; done {
			// A Join to a group configured already: forProxy takes its
			// configuration, whose halves a pod path's memo does not hold.
			continue
		}
		if k := xds.OutboundKey(t.m, p); !seen["out|"+k] {
			seen["out|"+k] = true
			outKeys, outProxy = append(outKeys, k), append(outProxy, p)
		}
		if k := xds.GroupKey(p); !seen["in|"+k] {
			seen["in|"+k] = true
			inKeys, inProxy = append(inKeys, k), append(inProxy, p)
		}
	}
	out := make([]*xds.Resources, len(outKeys))
	parallel.Each(len(outKeys), func(i int) { out[i] = xds.GenerateOutbound(t.m, outProxy[i]) })
	in := make([]*xds.Resources, len(inKeys))
	parallel.Each(len(inKeys), func(i int) { in[i] = xds.GenerateInbound(t.m, inProxy[i]) })
	for i, k := range outKeys {
		t.outbound[k] = out[i]
	}
	for i, k := range inKeys {
		t.inbound[k] = in[i]
	}
}

// parts are the distinct translations run, whose problems go to status.
func (t *translations) parts() []*xds.Resources {
	var out []*xds.Resources
	for _, r := range t.outbound {
		out = append(out, r)
	}
	for _, r := range t.inbound {
		out = append(out, r)
	}
	return out
}

func memo(cache map[string]*xds.Resources, key string, f func() *xds.Resources) *xds.Resources {
	if r, ok := cache[key]; ok {
		return r
	}
	r := f()
	cache[key] = r
	return r
}
