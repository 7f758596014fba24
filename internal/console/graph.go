package console

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
)

// Graph is the mesh as nodes (services, their subsets, workloads) grouped
// by namespace, and edges for what the routing rules send where.
type Graph struct {
	Groups []Group `json:"groups"`
	Nodes  []Node  `json:"nodes"`
	Edges  []Edge  `json:"edges"`
}

// Node kinds.
const (
	KindService  = "service"
	KindSubset   = "subset"
	KindWorkload = "workload"
	// KindMissing is a host a rule names that the registry lacks.
	KindMissing = "missing"
	KindGateway = "gateway"
	// KindHost is a name a VirtualService routes that is no registry
	// service (a gateway's public host, say).
	KindHost = "host"
)

// Edge kinds.
const (
	EdgeRoute    = "route"
	EdgeMirror   = "mirror"
	EdgeEndpoint = "endpoint"
	// EdgeGateway: a gateway in front of a host its VirtualServices route.
	EdgeGateway = "gateway"
)

// Node is one box of the graph, placed by layout.
type Node struct {
	ID        string  `json:"id"`
	Kind      string  `json:"kind"`
	Label     string  `json:"label"`
	Namespace string  `json:"namespace"`
	X         int     `json:"x"`
	Y         int     `json:"y"`
	Detail    []Field `json:"detail"`
}

// Edge is one arrow: a route's destination with its share, a mirror, or
// the workloads behind a service or subset.
type Edge struct {
	ID     string  `json:"id"`
	Kind   string  `json:"kind"`
	From   string  `json:"from"`
	To     string  `json:"to"`
	Label  string  `json:"label"`
	Detail []Field `json:"detail"`
}

// Field is one line of a node's or edge's detail panel.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func serviceID(host string) string        { return "svc:" + host }
func subsetID(host, subset string) string { return "subset:" + host + "|" + subset }
func workloadID(ns, name string) string   { return "pod:" + ns + "/" + name }
func gatewayID(ref string) string         { return "gw:" + ref }

// graphBuilder collects nodes by id, so a host named by several rules is
// one node.
type graphBuilder struct {
	m     *model.Model
	nodes map[string]*Node
	edges []Edge
}

func buildGraph(m *model.Model) Graph {
	g := &graphBuilder{m: m, nodes: map[string]*Node{}}
	for _, host := range m.Hostnames {
		g.service(host, "")
	}
	g.subsets()
	g.workloads()
	g.gateways()
	for _, vs := range m.VirtualServices {
		g.routes(vs)
	}
	return layout(g.nodes, g.edges)
}

// service returns the host's node, adding it (as missing when the registry
// lacks it, placed in the namespace of the rule that names it).
func (g *graphBuilder) service(host, ruleNS string) *Node {
	id := serviceID(host)
	if n, ok := g.nodes[id]; ok {
		return n
	}
	n := &Node{ID: id, Kind: KindService, Label: host}
	if s, ok := g.m.Services[host]; ok {
		n.Namespace = s.Namespace
		n.Detail = serviceDetail(g.m, s)
	} else {
		n.Kind, n.Namespace = KindMissing, ruleNS
		n.Detail = []Field{{"host", host}, {"registry", "no such service: requests routed here fail (no endpoints)"}}
	}
	g.nodes[id] = n
	return n
}

// subsets adds a node per DestinationRule subset, under its host.
func (g *graphBuilder) subsets() {
	for _, dr := range g.m.DestinationRules {
		svc := g.service(dr.Host, dr.Ref.Namespace)
		for _, ss := range dr.Spec.Subsets {
			id := subsetID(dr.Host, ss.Name)
			if _, ok := g.nodes[id]; ok {
				continue // an older rule's subset of the same name wins
			}
			g.nodes[id] = &Node{ID: id, Kind: KindSubset, Label: ss.Name, Namespace: svc.Namespace, Detail: subsetDetail(g.m, dr, ss)}
			g.edges = append(g.edges, Edge{ID: "subset:" + id, Kind: EdgeEndpoint, From: svc.ID, To: id, Label: "subset",
				Detail: []Field{{"destination rule", dr.Ref.String()}, {"labels", labelText(ss.Labels)}}})
		}
	}
}

// workloads adds the pods behind each Kubernetes service (by selector).
func (g *graphBuilder) workloads() {
	pods := make([]*model.Workload, 0, len(g.m.Pods))
	for _, p := range g.m.Pods {
		pods = append(pods, p)
	}
	sort.Slice(pods, func(i, j int) bool { return pods[i].Ref.String() < pods[j].Ref.String() })
	for _, host := range g.m.Hostnames {
		s := g.m.Services[host]
		if len(s.Selector) == 0 {
			continue
		}
		for _, p := range pods {
			if p.Ref.Namespace != s.Namespace || !selects(s.Selector, p.Labels) {
				continue
			}
			id := workloadID(p.Ref.Namespace, p.Ref.Name)
			if _, ok := g.nodes[id]; !ok {
				g.nodes[id] = &Node{ID: id, Kind: KindWorkload, Label: p.Ref.Name, Namespace: p.Ref.Namespace, Detail: workloadDetail(g.m, p)}
			}
			// From the subsets that select the pod, else from the service.
			from := g.subsetsSelecting(host, p.Labels)
			if len(from) == 0 {
				from = []string{serviceID(host)}
			}
			for _, f := range from {
				g.edges = append(g.edges, Edge{ID: "ep:" + f + ">" + id, Kind: EdgeEndpoint, From: f, To: id, Label: "",
					Detail: []Field{{"service", host}, {"workload", p.Ref.String()}, {"address", p.IP}}})
			}
		}
	}
}

// subsetsSelecting lists the host's subset nodes whose labels the pod has.
func (g *graphBuilder) subsetsSelecting(host string, labels map[string]string) []string {
	var out []string
	for _, dr := range g.m.DestinationRules {
		if dr.Host != host {
			continue
		}
		for _, ss := range dr.Spec.Subsets {
			id := subsetID(host, ss.Name)
			if _, ok := g.nodes[id]; ok && len(ss.Labels) > 0 && selects(ss.Labels, labels) && !contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// gateways adds a node per Gateway, with its servers.
func (g *graphBuilder) gateways() {
	for _, gw := range g.m.Gateways {
		ref := gw.Namespace + "/" + gw.Name
		detail := []Field{{"gateway", ref}, {"selector", labelText(gw.Spec.Selector)}}
		for i, s := range gw.Spec.Servers {
			detail = append(detail, Field{fmt.Sprintf("servers[%d]", i), fmt.Sprintf("%s %d: %s", s.Port.Protocol, s.Port.Number, strings.Join(s.Hosts, ", "))})
		}
		g.nodes[gatewayID(ref)] = &Node{ID: gatewayID(ref), Kind: KindGateway, Label: gw.Name, Namespace: gw.Namespace, Detail: detail}
	}
}

// routes adds an edge per destination and mirror of every route of vs,
// from each of its hosts.
func (g *graphBuilder) routes(vs *model.VirtualService) {
	ns := vs.Ref.Namespace
	ref := "VirtualService " + vs.Ref.String()
	for _, host := range vs.Hosts {
		from := g.routedHost(host, ns)
		for _, gw := range vs.Gateways {
			if n, ok := g.nodes[gatewayID(gw)]; ok {
				g.edges = append(g.edges, Edge{ID: "gw:" + gw + ">" + ref + ">" + host, Kind: EdgeGateway, From: n.ID, To: from.ID, Label: "",
					Detail: []Field{{"gateway", gw}, {"rule", ref}, {"host", host}}})
			}
		}
		for i, r := range vs.Spec.HTTP {
			field := fmt.Sprintf("http[%d]", i)
			weights := make([]int32, len(r.Route))
			for j, d := range r.Route {
				weights[j] = d.Weight
			}
			for j, d := range r.Route {
				g.routeEdge(from, ref, fmt.Sprintf("%s.route[%d]", field, j), ns, d.Destination, share(weights, j), routeDetail(r))
			}
			for j, m := range mirrors(r) {
				g.mirrorEdge(from, ref, fmt.Sprintf("%s.mirror[%d]", field, j), ns, m)
			}
		}
		for i, r := range vs.Spec.TCP {
			g.l4Routes(from, ref, fmt.Sprintf("tcp[%d]", i), ns, r.Route)
		}
		for i, r := range vs.Spec.TLS {
			g.l4Routes(from, ref, fmt.Sprintf("tls[%d]", i), ns, r.Route)
		}
	}
}

func (g *graphBuilder) l4Routes(from *Node, ref, field, ns string, route []networkingv1.RouteDestination) {
	weights := make([]int32, len(route))
	for j, d := range route {
		weights[j] = d.Weight
	}
	for j, d := range route {
		g.routeEdge(from, ref, fmt.Sprintf("%s.route[%d]", field, j), ns, d.Destination, share(weights, j), nil)
	}
}

func (g *graphBuilder) routeEdge(from *Node, ref, field, ns string, d networkingv1.Destination, label string, extra []Field) {
	to := g.destination(d, ns)
	detail := append([]Field{{"rule", ref}, {"field", field}, {"destination", destText(g.m, d, ns)}, {"share", label}}, extra...)
	detail = append(detail, destinationDetail(g.m, d, ns)...)
	g.edges = append(g.edges, Edge{ID: ref + " " + field + " " + from.ID, Kind: EdgeRoute, From: from.ID, To: to, Label: label, Detail: detail})
}

func (g *graphBuilder) mirrorEdge(from *Node, ref, field, ns string, m mirror) {
	to := g.destination(m.dest, ns)
	label := "mirror " + m.percent
	detail := []Field{{"rule", ref}, {"field", field}, {"destination", destText(g.m, m.dest, ns)}, {"mirrored", m.percent}}
	detail = append(detail, destinationDetail(g.m, m.dest, ns)...)
	g.edges = append(g.edges, Edge{ID: ref + " " + field + " " + from.ID, Kind: EdgeMirror, From: from.ID, To: to, Label: label, Detail: detail})
}

// routedHost is the node of a host a VirtualService routes: its service,
// or a plain host node when the registry has none by that name.
func (g *graphBuilder) routedHost(host, ns string) *Node {
	if _, ok := g.m.Services[host]; ok {
		return g.service(host, ns)
	}
	id := serviceID(host)
	if n, ok := g.nodes[id]; ok {
		return n
	}
	n := &Node{ID: id, Kind: KindHost, Label: host, Namespace: ns,
		Detail: []Field{{"host", host}, {"registry", "a name routed by VirtualServices, not a service in the registry"}}}
	g.nodes[id] = n
	return n
}

// destination is the node a destination reaches: its subset when the
// host's rules define it, else the host (a missing subset shows on the
// Config page, and traffic to it fails).
func (g *graphBuilder) destination(d networkingv1.Destination, ns string) string {
	host := g.m.DestinationHost(d.Host, ns)
	svc := g.service(host, ns)
	if svc.Kind == KindHost { // routed to as well: traffic to it fails
		svc.Kind = KindMissing
		svc.Detail = []Field{{"host", host}, {"registry", "no such service: requests routed here fail (no endpoints)"}}
	}
	if d.Subset != "" {
		if _, ok := g.nodes[subsetID(host, d.Subset)]; ok {
			return subsetID(host, d.Subset)
		}
	}
	return svc.ID
}

// share is destination j's part of the route as a percentage: a single
// destination gets everything; several split by their relative weights.
func share(weights []int32, j int) string {
	if len(weights) == 1 {
		return "100%"
	}
	var sum int64
	for _, w := range weights {
		sum += int64(w)
	}
	if sum == 0 {
		return "weight 0"
	}
	pct := float64(weights[j]) * 100 / float64(sum)
	return strconv.FormatFloat(pct, 'f', -1, 64) + "%"
}

type mirror struct {
	dest    networkingv1.Destination
	percent string
}

// mirrors lists a route's mirror (100% unless a percentage says less) and
// its mirrors list.
func mirrors(r networkingv1.HTTPRoute) []mirror {
	var out []mirror
	if r.Mirror != nil {
		pct := 100.0
		switch {
		case r.MirrorPercentage != nil:
			pct = r.MirrorPercentage.Value
		case r.MirrorPercent != nil:
			pct = float64(*r.MirrorPercent)
		}
		out = append(out, mirror{*r.Mirror, strconv.FormatFloat(pct, 'f', -1, 64) + "%"})
	}
	for _, m := range r.Mirrors {
		pct := 100.0
		if m.Percentage != nil {
			pct = m.Percentage.Value
		}
		out = append(out, mirror{m.Destination, strconv.FormatFloat(pct, 'f', -1, 64) + "%"})
	}
	return out
}

func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
