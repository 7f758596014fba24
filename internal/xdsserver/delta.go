package xdsserver

import (
	"context"
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
func (w *deltaWatch) answer(snap *Snapshot) bool {
	set := snap.set(w.req.GetTypeUrl())
	if set == nil || set == w.seen {
		return false
	}
	w.seen = set
	r := w.diff(set)
	if len(r.resources) == 0 && len(r.removed) == 0 {
		return false
	}
	w.out <- r
	return true
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
		if _, ok := next[name]; !ok {
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
