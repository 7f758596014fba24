package console

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"sort"

	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
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
	after := mesh.Compute(Merge(current.Bundle, change), current.Nodes)
	out := Impact{Changes: []ProxyChange{}, Problems: []string{}, Unsupported: []string{}}
	groups := map[string]*ProxyChange{}
	d := &differ{enc: map[proto.Message][]byte{}, sums: map[proto.Message]uint64{}, done: map[diffKey]diffResult{}}
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

// Merge returns base with every object of change in place of base's object
// of the same kind, namespace and name (or appended). Neither input is
// modified.
func Merge(base, change *bundle.Bundle) *bundle.Bundle {
	if base == nil {
		base = &bundle.Bundle{}
	}
	return &bundle.Bundle{
		Namespaces:          upsert(base.Namespaces, change.Namespaces),
		Services:            upsert(base.Services, change.Services),
		EndpointSlices:      upsert(base.EndpointSlices, change.EndpointSlices),
		Pods:                upsert(base.Pods, change.Pods),
		Nodes:               upsert(base.Nodes, change.Nodes),
		Secrets:             upsert(base.Secrets, change.Secrets),
		Deployments:         upsert(base.Deployments, change.Deployments),
		Gateways:            upsert(base.Gateways, change.Gateways),
		VirtualServices:     upsert(base.VirtualServices, change.VirtualServices),
		DestinationRules:    upsert(base.DestinationRules, change.DestinationRules),
		ServiceEntries:      upsert(base.ServiceEntries, change.ServiceEntries),
		PeerAuthentications: upsert(base.PeerAuthentications, change.PeerAuthentications),
	}
}

// upsert copies base and puts each of add in place of the object with
// its namespace and name, or at the end.
func upsert[T any](base, add []T) []T {
	out := append([]T(nil), base...)
	at := map[string]int{}
	for i := range out {
		at[objectKey(&out[i])] = i
	}
	for _, a := range add {
		if i, ok := at[objectKey(&a)]; ok {
			out[i] = a
			continue
		}
		at[objectKey(&a)] = len(out)
		out = append(out, a)
	}
	return out
}

func objectKey(o any) string {
	if m, ok := o.(metav1.Object); ok {
		return m.GetNamespace() + "/" + m.GetName()
	}
	return fmt.Sprintf("%p", o)
}

// differ compares proxies' resources. Proxies of a group share their
// resources, and groups share most protos, so each pair of resource sets
// is compared once and each proto encoded once.
type differ struct {
	enc  map[proto.Message][]byte
	sums map[proto.Message]uint64
	done map[diffKey]diffResult
}

type diffKey struct {
	before, after *xds.Resources
	subscribed    string
}

type diffResult struct {
	changes   []ResourceChange
	typeBytes map[string]int
}

func (d *differ) diff(before, after *xds.Resources, subscribed map[string][]string) ([]ResourceChange, map[string]int) {
	key := diffKey{before, after, ""}
	if len(subscribed) > 0 {
		key.subscribed = fmt.Sprint(subscribed) // fmt sorts map keys
	}
	if r, ok := d.done[key]; ok {
		return r.changes, r.typeBytes
	}
	rc, tb := d.diffResources(before, after, subscribed)
	d.done[key] = diffResult{rc, tb}
	return rc, tb
}

// diffResources compares one proxy's resources type by type and name by
// name, by their deterministic encoding.
func (d *differ) diffResources(before, after *xds.Resources, subscribed map[string][]string) ([]ResourceChange, map[string]int) {
	var out []ResourceChange
	typeBytes := map[string]int{}
	for _, t := range resourceTypes {
		names, filtered := subscribed[t.url]
		filtered = filtered && len(names) > 0
		oldList, curList := listOf(t, before), listOf(t, after)
		if !filtered && d.sameSet(oldList, curList) {
			continue // the common case: most types of most proxies do not change
		}
		old, cur := d.encodeAll(oldList), d.encodeAll(curList)
		if filtered {
			old, cur = only(old, names), only(cur, names)
		}
		total, changed := 0, false
		for name, b := range cur {
			total += len(b)
			switch o, ok := old[name]; {
			case !ok:
				out = append(out, ResourceChange{Type: t.name, Name: name, Change: Added, Bytes: len(b)})
				changed = true
			case !bytes.Equal(o, b):
				out = append(out, ResourceChange{Type: t.name, Name: name, Change: Changed, Bytes: len(b)})
				changed = true
			}
		}
		for name := range old {
			if _, ok := cur[name]; !ok {
				out = append(out, ResourceChange{Type: t.name, Name: name, Change: Removed})
				changed = true
			}
		}
		if changed {
			typeBytes[t.name] = total
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out, typeBytes
}

type named interface {
	proto.Message
	GetName() string
}

type resourceType struct {
	name, url string
	list      func(*xds.Resources) []named
}

var resourceTypes = []resourceType{
	{"CDS", resource.ClusterType, func(r *xds.Resources) []named { return asNamed(r.Clusters) }},
	{"EDS", resource.EndpointType, func(r *xds.Resources) []named {
		out := make([]named, 0, len(r.Endpoints))
		for _, e := range r.Endpoints {
			out = append(out, claName{e})
		}
		return out
	}},
	{"LDS", resource.ListenerType, func(r *xds.Resources) []named { return asNamed(r.Listeners) }},
	{"RDS", resource.RouteType, func(r *xds.Resources) []named { return asNamed(r.Routes) }},
	{"SDS", resource.SecretType, func(r *xds.Resources) []named { return asNamed(r.Secrets) }},
}

// listOf is a type's resources; a proxy without resources (not
// configured yet) has none.
func listOf(t resourceType, r *xds.Resources) []named {
	if r == nil {
		return nil
	}
	return t.list(r)
}

func asNamed[T named](list []T) []named {
	out := make([]named, 0, len(list))
	for _, x := range list {
		out = append(out, x)
	}
	return out
}

// claName names a ClusterLoadAssignment by its cluster.
type claName struct{ proto.Message }

func (c claName) GetName() string {
	return c.Message.(interface{ GetClusterName() string }).GetClusterName()
}

func (d *differ) encodeAll(list []named) map[string][]byte {
	out := make(map[string][]byte, len(list))
	for _, m := range list {
		out[m.GetName()] = d.encodeOne(unwrap(m))
	}
	return out
}

// sameSet compares two lists of resources by a sum of per-resource
// hashes (name and encoding; order does not matter), each resource
// encoded and hashed once however many proxies share it: a pass over the
// lists with no per-proxy maps. Equal sums are taken as equal sets (a
// 64-bit collision between a set and its changed self is not a concern
// for a preview).
func (d *differ) sameSet(a, b []named) bool {
	return len(a) == len(b) && d.sum(a) == d.sum(b)
}

func (d *differ) sum(list []named) uint64 {
	var total uint64
	for _, m := range list {
		msg := unwrap(m)
		h, ok := d.sums[msg]
		if !ok {
			f := fnv.New64a()
			_, _ = f.Write([]byte(m.GetName()))
			_, _ = f.Write([]byte{0})
			_, _ = f.Write(d.encodeOne(msg))
			h = f.Sum64()
			d.sums[msg] = h
		}
		total += h
	}
	return total
}

func (d *differ) encodeOne(msg proto.Message) []byte {
	b, ok := d.enc[msg]
	if !ok {
		var err error
		if b, err = (proto.MarshalOptions{Deterministic: true}).Marshal(msg); err != nil {
			b = []byte("unencodable: " + err.Error())
		}
		d.enc[msg] = b
	}
	return b
}

func unwrap(m named) proto.Message {
	if c, ok := m.(claName); ok {
		return c.Message
	}
	return m
}

// only keeps the named resources.
func only(enc map[string][]byte, names []string) map[string][]byte {
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		if b, ok := enc[n]; ok {
			out[n] = b
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
