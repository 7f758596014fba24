package controllers

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// nodesOf is the connected proxies as the mesh computations take them,
// and the versions they rejected.
func nodesOf(proxies []xdsserver.ProxyNode) ([]mesh.Node, []mesh.Rejection) {
	nodes := make([]mesh.Node, 0, len(proxies))
	var rejections []mesh.Rejection
	for _, p := range proxies {
		nodes = append(nodes, mesh.Node{ID: p.NodeID, Metadata: p.Metadata, Identity: p.Identity, Locality: nodeLocality(p.Locality)})
		for typeURL, n := range p.Nacks {
			rejections = append(rejections, mesh.Rejection{NodeID: p.NodeID, TypeURL: typeURL, Version: n.Version, Error: n.Error})
		}
	}
	return nodes, rejections
}

// withNodes is nodes with added in place of the nodes of the same id, or
// appended; nodes is not modified.
func withNodes(nodes, added []mesh.Node) []mesh.Node {
	at := make(map[string]int, len(nodes))
	out := append(make([]mesh.Node, 0, len(nodes)+len(added)), nodes...)
	for i, n := range out {
		at[n.ID] = i
	}
	for _, n := range added {
		if i, ok := at[n.ID]; ok {
			out[i] = n
			continue
		}
		at[n.ID] = len(out)
		out = append(out, n)
	}
	return out
}

// nodeLocality is the locality a proxy announced, in the model's form.
func nodeLocality(l *corev3.Locality) model.Locality {
	return model.FormatLocality(l.GetRegion(), l.GetZone(), l.GetSubZone())
}
