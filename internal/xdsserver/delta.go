package xdsserver

import (
	"context"
	"maps"
	"sort"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// deltaWatch is one Delta request waiting for a change.
type deltaWatch struct {
	req *cachev3.DeltaRequest
	sub cachev3.Subscription
	out chan cachev3.DeltaResponse
	// seen is the set last compared with what the proxy has: a publish
	// that hands the node the same set again needs no second look.
	seen *typeSet
}

// answer sends the changed and removed resources, if there are any.
func (w *deltaWatch) answer(snap *Snapshot, reg *setRegistry) bool {
	set := snap.set(w.req.GetTypeUrl())
	if set == nil || set == w.seen {
		return false
	}
	w.seen = set
	r, ok := w.fromHeld(set, reg)
	if !ok {
		r = w.diff(set)
	}
	r.next[heldKey] = "" // counted in the record's size
	r.next[heldKey] = heldRecord(set.version, len(r.next))
	if len(r.resources) == 0 && len(r.removed) == 0 {
		return false
	}
	w.out <- r
	return true
}

// fromHeld answers from the set the stream holds (see held.go): what
// changed between it and set, on a copy of the stream's map. It declines
// when the request changed the subscription (the server has edited the
// map), or the record is missing, or the held set is no longer known.
func (w *deltaWatch) fromHeld(set *typeSet, reg *setRegistry) (*deltaResponse, bool) {
	if len(w.req.GetResourceNamesSubscribe())+len(w.req.GetResourceNamesUnsubscribe())+len(w.req.GetInitialResourceVersions()) > 0 {
		return nil, false
	}
	returned := w.sub.ReturnedResources()
	version, size, ok := parseHeld(returned[heldKey])
	if !ok || size != len(returned) {
		return nil, false
	}
	old := reg.find(w.req.GetTypeUrl(), version)
	if old == nil {
		return nil, false
	}
	d := reg.diff(old, set)
	wildcard, subscribed := w.sub.IsWildcard(), w.sub.SubscribedResources()
	r := &deltaResponse{req: w.req, version: set.version, next: maps.Clone(returned)}
	for _, it := range d.changed {
		if _, ok := subscribed[it.name]; wildcard || ok {
			r.resources = append(r.resources, it.delta)
			r.next[it.name] = it.version
		}
	}
	for _, name := range d.removed {
		if _, had := returned[name]; had {
			r.removed = append(r.removed, name)
			delete(r.next, name)
		}
	}
	return r, true
}

// diff compares the set with the versions the proxy was last sent. The
// returned map is the server's and is only read; the response carries a
// new one.
func (w *deltaWatch) diff(set *typeSet) *deltaResponse {
	returned := w.sub.ReturnedResources()
	r := &deltaResponse{req: w.req, version: set.version}
	if w.sub.IsWildcard() {
		r.next = make(map[string]string, len(set.items))
		known := 0
		if _, ok := returned[heldKey]; ok {
			known++ // not a resource
		}
		for _, it := range set.items {
			r.next[it.name] = it.version
			v, ok := returned[it.name]
			if ok {
				known++
			}
			if !ok || v != it.version {
				r.resources = append(r.resources, it.delta)
			}
		}
		if known < len(returned) {
			r.removed = removedFrom(returned, r.next)
		}
		return r
	}
	subscribed := w.sub.SubscribedResources()
	r.next = make(map[string]string, len(subscribed))
	for name := range subscribed {
		it := set.lookup(name)
		v, had := returned[name]
		switch {
		case it != nil:
			r.next[name] = it.version
			if !had || v != it.version {
				r.resources = append(r.resources, it.delta)
			}
		case had:
			r.removed = append(r.removed, name)
		}
	}
	sort.Slice(r.resources, func(i, j int) bool { return r.resources[i].Name < r.resources[j].Name })
	sort.Strings(r.removed)
	return r
}

// removedFrom lists, in order, the names the proxy has that the set no
// longer holds.
func removedFrom(returned, next map[string]string) []string {
	var out []string
	for name := range returned {
		if _, ok := next[name]; !ok && name != heldKey {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// deltaResponse points at shared, already marshalled resources.
type deltaResponse struct {
	req       *cachev3.DeltaRequest
	version   string
	resources []*discoveryv3.Resource
	removed   []string
	next      map[string]string
}

var _ cachev3.DeltaResponse = (*deltaResponse)(nil)

// GetDeltaDiscoveryResponse returns a new message each call: the server
// writes the stream's nonce into it.
func (r *deltaResponse) GetDeltaDiscoveryResponse() (*discoveryv3.DeltaDiscoveryResponse, error) {
	return &discoveryv3.DeltaDiscoveryResponse{
		SystemVersionInfo: r.version, Resources: r.resources, RemovedResources: r.removed, TypeUrl: r.req.GetTypeUrl(),
	}, nil
}

func (r *deltaResponse) GetDeltaRequest() *discoveryv3.DeltaDiscoveryRequest { return r.req }
func (r *deltaResponse) GetSystemVersion() (string, error)                   { return r.version, nil }
func (r *deltaResponse) GetResponseVersion() string                          { return r.version }
func (r *deltaResponse) GetNextVersionMap() map[string]string                { return r.next }
func (r *deltaResponse) GetReturnedResources() map[string]string             { return r.next }
func (r *deltaResponse) GetContext() context.Context                         { return context.Background() }
