package console

import (
	"fmt"
	"io"
	"sort"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
)

// Mesh is what one reconcile saw and produced: the impact preview
// translates the same inputs with a change applied and compares.
type Mesh struct {
	Bundle *bundle.Bundle
	Nodes  []mesh.Node
	Result *mesh.Result
	// Subscribed are the resource names each node asked for, by type URL
	// (xdsserver.ProxyStatus.Subscribed; none for a type: all of it). A
	// proxyless gRPC client is sent only what it asked for, so only those
	// can change for it.
	Subscribed map[string]map[string][]string
}

// Impact is what applying a change would do, nothing applied.
type Impact struct {
	// Proxies that would get new configuration, grouped by what changes
	// for them, sorted.
	Changes []ProxyChange `json:"changes"`
	// Unchanged counts the connected proxies the change leaves alone.
	Unchanged int `json:"unchanged"`
	// Problems are the status lines the change would add.
	Problems []string `json:"problems"`
	// Unsupported lists objects of the change sailplane does not serve.
	Unsupported []string `json:"unsupported"`
}

// ProxyChange is one set of proxies receiving the same changes.
type ProxyChange struct {
	Proxies   []string         `json:"proxies"`
	Resources []ResourceChange `json:"resources"`
	// Bytes is what each of these proxies would be pushed: the encoded
	// size of every changed and added resource (a Delta push; a state-of-
	// the-world push sends whole types, see TypeBytes).
	Bytes int `json:"bytes"`
	// TypeBytes is the encoded size of each changed type in full, what a
	// state-of-the-world stream is sent for it.
	TypeBytes map[string]int `json:"typeBytes"`
}

// ResourceChange is one resource that would be added, changed or removed.
type ResourceChange struct {
	Type   string `json:"type"`
	Name   string `json:"name"`
	Change string `json:"change"`
	Bytes  int    `json:"bytes"`
}

// Resource change kinds.
const (
	Added   = "added"
	Changed = "changed"
	Removed = "removed"
)

// PreviewChange decodes YAML and computes its impact on current.
func PreviewChange(current Mesh, source string, r io.Reader) (Impact, error) {
	change := &bundle.Bundle{}
	unsupported, err := change.Decode(source, r)
	if err != nil {
		return Impact{}, err
	}
	out := ComputeImpact(current, change)
	for _, u := range unsupported {
		out.Unsupported = append(out.Unsupported, u.String())
	}
	return out, nil
}

// ComputeImpact translates current's inputs with change applied (each of
// its objects replacing the current one of the same kind, namespace and
// name, or added) for the same proxies, and compares every proxy's
// resources with what it has now. It is pure.
func ComputeImpact(current Mesh, change *bundle.Bundle) Impact {
	after := translateWith(current, change)
	out := Impact{Changes: []ProxyChange{}, Problems: []string{}, Unsupported: []string{}}
	groups := map[string]*ProxyChange{}
	d := newDiffer()
	for _, n := range current.Nodes {
		rc, typeBytes := d.diff(current.Result.Resources[n.ID], after.Resources[n.ID], current.Subscribed[n.ID])
		if len(rc) == 0 {
			out.Unchanged++
			continue
		}
		key := fmt.Sprint(rc)
		g, ok := groups[key]
		if !ok {
			g = &ProxyChange{Resources: rc, TypeBytes: typeBytes}
			for _, c := range rc {
				if c.Change != Removed {
					g.Bytes += c.Bytes
				}
			}
			groups[key] = g
		}
		g.Proxies = append(g.Proxies, proxyName(n.ID))
	}
	for _, g := range groups {
		sort.Strings(g.Proxies)
		out.Changes = append(out.Changes, *g)
	}
	sort.Slice(out.Changes, func(i, j int) bool { return out.Changes[i].Proxies[0] < out.Changes[j].Proxies[0] })
	had := map[string]bool{}
	if current.Result.Model != nil {
		for _, l := range current.Result.Model.Status.Lines() {
			had[l] = true
		}
	}
	for _, l := range after.Model.Status.Lines() {
		if !had[l] {
			out.Problems = append(out.Problems, l)
		}
	}
	return out
}

// proxyName is "pod.namespace" for a well-formed node id, else the id.
func proxyName(id string) string {
	if n, err := names.ParseNodeID(id); err == nil {
		return n.Pod + "." + n.Namespace
	}
	return id
}
