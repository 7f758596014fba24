package console

import "sort"

// Group is a namespace's box in the graph.
type Group struct {
	Namespace string `json:"namespace"`
	X         int    `json:"x"`
	Y         int    `json:"y"`
	W         int    `json:"w"`
	H         int    `json:"h"`
}

// The layout's grid, in SVG units: namespaces stacked top to bottom (no
// wide screen needed to read one), a row per service with its subsets and
// then its workloads to the right.
const (
	NodeW     = 200
	NodeH     = 34
	rowH      = 48
	colGap    = 90
	groupPad  = 16
	groupHead = 28
	groupGap  = 24
)

var columnX = [3]int{groupPad, groupPad + NodeW + colGap, groupPad + 2*(NodeW+colGap)}

// GraphWidth is the width every namespace box spans.
const GraphWidth = 2*groupPad + 3*NodeW + 2*colGap

// layout places the nodes deterministically and returns them and the
// edges sorted by id.
func layout(nodes map[string]*Node, edges []Edge) Graph {
	direct := map[string][]string{} // service → subsets and workloads, subset → workloads
	for _, e := range edges {
		if e.Kind == EdgeEndpoint {
			direct[e.From] = append(direct[e.From], e.To)
		}
	}
	children := map[string][]string{} // service id → its subsets and all their workloads
	for from, kids := range direct {
		children[from] = append(children[from], kids...)
		for _, k := range kids {
			children[from] = append(children[from], direct[k]...)
		}
	}
	byNS := map[string][]*Node{}
	for _, n := range nodes {
		byNS[n.Namespace] = append(byNS[n.Namespace], n)
	}
	namespaces := make([]string, 0, len(byNS))
	for ns := range byNS {
		namespaces = append(namespaces, ns)
	}
	sort.Strings(namespaces)
	g := Graph{Groups: []Group{}, Nodes: []Node{}, Edges: []Edge{}}
	placed := map[string]bool{}
	y := 0
	for _, ns := range namespaces {
		top := y
		y += groupHead
		list := byNS[ns]
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		for _, n := range list { // gateways first: they are in front
			if n.Kind == KindGateway {
				y = placeRow(n, nil, nodes, placed, y)
			}
		}
		for _, n := range list {
			if n.Kind != KindService && n.Kind != KindMissing && n.Kind != KindHost {
				continue
			}
			y = placeRow(n, children[n.ID], nodes, placed, y)
		}
		for _, n := range list { // workloads behind no service
			if !placed[n.ID] {
				y = placeRow(n, nil, nodes, placed, y)
			}
		}
		y += groupPad
		g.Groups = append(g.Groups, Group{Namespace: ns, X: 0, Y: top, W: GraphWidth, H: y - top})
		y += groupGap
	}
	for _, n := range nodes {
		g.Nodes = append(g.Nodes, *n)
	}
	sort.Slice(g.Nodes, func(i, j int) bool { return g.Nodes[i].ID < g.Nodes[j].ID })
	g.Edges = append(g.Edges, edges...)
	sort.Slice(g.Edges, func(i, j int) bool { return g.Edges[i].ID < g.Edges[j].ID })
	return g
}

// placeRow puts n in its column and its unplaced children (subsets, then
// workloads, in id order) in theirs, and returns the next row's y.
func placeRow(n *Node, kids []string, nodes map[string]*Node, placed map[string]bool, y int) int {
	placed[n.ID] = true
	n.X, n.Y = columnX[column(n.Kind)], y
	sort.Strings(kids)
	rows := [3]int{1, 0, 0}
	for _, id := range kids {
		k := nodes[id]
		if k == nil || placed[id] || k.Namespace != n.Namespace {
			continue
		}
		c := column(k.Kind)
		placed[id] = true
		k.X, k.Y = columnX[c], y+rows[c]*rowH
		rows[c]++
	}
	tallest := rows[0]
	for _, r := range rows {
		tallest = max(tallest, r)
	}
	return y + tallest*rowH
}

func column(kind string) int {
	switch kind {
	case KindSubset:
		return 1
	case KindWorkload:
		return 2
	}
	return 0
}
