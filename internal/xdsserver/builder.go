package xdsserver

import (
	"crypto/sha256"
	"fmt"
	"slices"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sailplane/sailplane/internal/listid"
	"github.com/sailplane/sailplane/internal/xds"
)

// Builder turns proxy groups' resources into snapshots whose versions are
// hashes of the content. A restarted control plane, or a second replica,
// computes the same versions for the same config, so proxies that
// reconnect are not sent what they already have, and a type whose content
// did not change is not pushed again.
//
// Each proto is marshalled once, when the builder first sees it; the bytes
// serve every stream. Items and sets are interned by content within a
// publish and carried over to the next one (Next), so an endpoint-only
// publish, which keeps the previous listeners, routes and clusters, marshals
// only load assignments. Protos handed to a builder must not be modified
// afterwards: they are recognised by pointer.
//
// A Builder is not safe for concurrent use.
type Builder struct {
	cur, prev generation
	opts      proto.MarshalOptions
	// scratch holds a set's items while it is made (runsOf copies them).
	scratch []*item
	// hostsMarshalled counts virtual hosts encoded anew (builder_routes.go).
	hostsMarshalled int
}

// generation is what one publish interned.
type generation struct {
	byPtr   map[resourceMsg]*item
	byFP    map[[sha256.Size]byte]*item
	byID    map[setID]*typeSet
	bySlice map[sliceKey]*typeSet
	// hosts are the virtual-host bytes of the route configurations this
	// publish holds, by pointer; hostsKept the items they came from.
	hosts     map[*routev3.VirtualHost][]byte
	hostsKept map[*item]bool
	// runs are the runs of the sets made or kept (builder_runs.go).
	runs map[runKey][]*item
}

// sliceKey identifies a list of resources by where it lives: groups share
// lists (a namespace's load assignments and route tables; an endpoint-only
// publish keeps every other list of the previous one), and a list already
// converted is not walked again.
type sliceKey struct {
	t    int
	list any // the list's listid.ID
}

func newGeneration() generation { return sizedLike(generation{}) }

// sizedLike is an empty generation with room for what last held: a publish
// usually interns about what the one before did, and growing the maps
// from empty rehashed them several times per publish (an endpoint change
// at the reference mesh spent a fifth of its publish there).
func sizedLike(last generation) generation {
	return generation{
		byPtr: make(map[resourceMsg]*item, len(last.byPtr)), byFP: make(map[[sha256.Size]byte]*item, len(last.byFP)),
		byID: make(map[setID]*typeSet, len(last.byID)), bySlice: make(map[sliceKey]*typeSet, len(last.bySlice)),
		hosts: make(map[*routev3.VirtualHost][]byte, len(last.hosts)), hostsKept: make(map[*item]bool, len(last.hostsKept)),
		runs: make(map[runKey][]*item, len(last.runs)),
	}
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{cur: newGeneration(), prev: newGeneration(), opts: proto.MarshalOptions{Deterministic: true}}
}

// Next starts a new publish: what the last publish interned stays
// reachable for one more, and older items are let go.
func (b *Builder) Next() {
	b.prev, b.cur = b.cur, sizedLike(b.cur)
}

// Settle ends a publish: what only the publish before it interned is let
// go. This publish interned everything it used in its own generation,
// which joins and republishes draw on until the next Next. Keeping the
// older one until then kept a third generation of every group's lists
// (and the sets made of them) alive while the next reconcile built its
// own; the reconciler's last result and this publish's hold the other
// two.
func (b *Builder) Settle() { b.prev = generation{} }

// Snapshot converts one group's resources, reusing what earlier groups and
// the previous publish already converted.
func (b *Builder) Snapshot(r *xds.Resources) (*Snapshot, error) {
	s := &Snapshot{}
	var err error
	set := func(t int, f func() (*typeSet, error)) {
		if err == nil {
			s.sets[t], err = f()
		}
	}
	set(typeListener, func() (*typeSet, error) { return setOf(b, typeListener, r.Listeners) })
	set(typeRoute, func() (*typeSet, error) { return setOf(b, typeRoute, r.Routes) })
	set(typeCluster, func() (*typeSet, error) { return setOf(b, typeCluster, r.Clusters) })
	set(typeEndpoint, func() (*typeSet, error) { return setOf(b, typeEndpoint, r.Endpoints) })
	set(typeSecret, func() (*typeSet, error) { return setOf(b, typeSecret, r.Secrets) })
	if err != nil {
		return nil, err
	}
	return s, nil
}

// setOf converts a list, or returns the set made for the same list (the
// same elements of the same backing array) in this publish or the last.
func setOf[T resourceMsg](b *Builder, t int, list []T) (*typeSet, error) {
	key := sliceKey{t: t, list: listid.Of(list)}
	if s, ok := b.cur.bySlice[key]; ok {
		return s, nil
	}
	if s, ok := b.prev.bySlice[key]; ok {
		b.cur.bySlice[key] = s
		b.cur.byID[setID{t, s.version}] = s
		// Only route tables carry virtual-host bytes: walking every
		// group's 1639 clusters to find none was most of an endpoint
		// publish at the reference mesh.
		if t == typeRoute {
			for it := range s.all() {
				b.keepHosts(it)
			}
		}
		b.keepRuns(s)
		return s, nil
	}
	s, err := b.set(t, len(list), func(i int) resourceMsg { return list[i] })
	if err != nil {
		return nil, err
	}
	b.cur.bySlice[key] = s
	return s, nil
}

// set interns one type's resources as a set, sorted by name.
func (b *Builder) set(t, n int, at func(int) resourceMsg) (*typeSet, error) {
	items := slices.Grow(b.scratch[:0], n)[:n]
	defer func() { b.scratch = items[:0]; clear(items) }()
	h := sha256.New()
	for i := range n {
		it, err := b.item(t, at(i))
		if err != nil {
			return nil, err
		}
		items[i] = it
	}
	sortItems(items)
	for _, it := range items {
		_, _ = h.Write(it.fp[:])
	}
	version := hexVersion([sha256.Size]byte(h.Sum(nil)))[:16]
	key := setID{t, version}
	if s, ok := b.cur.byID[key]; ok {
		return s, nil
	}
	s, ok := b.prev.byID[key]
	if !ok {
		s = &typeSet{version: version, runs: b.runsOf(items), n: n}
	}
	b.cur.byID[key] = s
	return s, nil
}

// item marshals a proto the builder has not seen, or returns the item it
// already made for that pointer or for the same bytes.
func (b *Builder) item(t int, r resourceMsg) (*item, error) {
	if it, ok := b.cur.byPtr[r]; ok {
		return it, nil
	}
	it, ok := b.prev.byPtr[r]
	if !ok {
		raw, parts, err := b.marshal(r)
		if err != nil {
			return nil, fmt.Errorf("marshalling %s %q: %w", typeURLs[t], resourceName(r), err)
		}
		fp := sha256.Sum256(raw)
		if it, ok = b.cur.byFP[fp]; !ok {
			if it, ok = b.prev.byFP[fp]; !ok {
				it = newItem(t, r, raw, fp)
				it.parts = parts
			}
		}
	}
	b.cur.byPtr[r] = it
	b.cur.byFP[it.fp] = it
	b.keepHosts(it)
	return it, nil
}

// marshal encodes a resource; a route configuration of several virtual
// hosts host by host (builder_routes.go), giving the same bytes.
func (b *Builder) marshal(r resourceMsg) ([]byte, [][]byte, error) {
	if rc, ok := r.(*routev3.RouteConfiguration); ok && len(rc.VirtualHosts) >= spliceMinHosts {
		return b.marshalRoutes(rc)
	}
	raw, err := b.opts.Marshal(r)
	return raw, nil, err
}

func newItem(t int, r resourceMsg, raw []byte, fp [sha256.Size]byte) *item {
	name := resourceName(r)
	a := &anypb.Any{TypeUrl: typeURLs[t], Value: raw}
	v := hexVersion(fp)
	return &item{name: name, version: v, fp: fp, msg: r, any: a, delta: &discoveryv3.Resource{Name: name, Version: v, Resource: a}}
}
