package mesh

import (
	"sort"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// An object's problems are mostly found while translating for a proxy (a
// regex Envoy would refuse, a destination one namespace cannot see, a
// subset of a workload-selected rule). Were only connected proxies
// translated, an invalid VirtualService would read Accepted=True until a
// proxy that sees it connected, and would flip back when it left. So every
// reconcile also translates, for their problems only, a representative of
// each kind of proxy that could see the mesh's objects:
//
//   - a sidecar (no labels) in every namespace that has pods or Istio
//     objects and no connected sidecar: its outbound half, the part that
//     reads VirtualServices, DestinationRules and ServiceEntries. Where a
//     sidecar is connected its outbound half, already translated, stands
//     for the namespace: the route builder reports a rule's errors whether
//     or not its matches apply to the proxy, so the halves of one
//     namespace report the same problems, except those of
//     workload-selected DestinationRules (their subsets as the labelled
//     proxy sees them). The representatives run on every core with the
//     connected proxies' halves: at most one extra outbound translation per
//     namespace nobody is connected in, none in a mesh with a sidecar in
//     every namespace.
//   - a gateway proxy for every Gateway: a pod its selector matches (the
//     first by namespace and name), or, with none, a proxy in the Gateway's
//     namespace labelled with the selector. Keyed like a connected
//     gateway's group, so a connected one shares it.
//
// Proxyless gRPC clients are not represented: their problems are about
// fields gRPC cannot apply, which concern only meshes that run such
// clients, and they are reported as soon as one connects.

// representativeSidecars returns one sidecar per namespace with pods or
// Istio objects, sorted by namespace.
func representativeSidecars(m *model.Model) []xds.Proxy {
	set := map[string]bool{}
	for ref := range m.Pods {
		set[ref.Namespace] = true
	}
	m.Status.EachObject(func(ref model.ObjectRef) {
		if ref.Kind != "Proxy" {
			set[ref.Namespace] = true
		}
	})
	nss := make([]string, 0, len(set))
	for ns := range set {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	out := make([]xds.Proxy, len(nss))
	for i, ns := range nss {
		out[i] = xds.Proxy{Type: names.Sidecar, Namespace: ns, Labels: map[string]string{}}
	}
	return out
}

// representativeGateways returns a gateway proxy per Gateway, in the
// model's Gateway order.
func representativeGateways(m *model.Model) []xds.Proxy {
	pods := make([]types.NamespacedName, 0, len(m.Pods))
	for ref := range m.Pods {
		pods = append(pods, ref)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].String() < pods[j].String() })
	var out []xds.Proxy
	for _, gw := range m.Gateways {
		sel := gw.Spec.Selector
		if len(sel) == 0 {
			continue
		}
		p := xds.Proxy{Type: names.Router, Namespace: gw.Namespace, Labels: sel}
		for _, ref := range pods {
			if w := m.Pods[ref]; matchesAll(sel, w.Labels) {
				p = xds.Proxy{Type: names.Router, Namespace: ref.Namespace, Labels: w.Labels, Workload: w}
				break
			}
		}
		out = append(out, p)
	}
	return out
}

func matchesAll(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}
