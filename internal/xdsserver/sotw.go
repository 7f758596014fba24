package xdsserver

import (
	"context"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/types/known/anypb"
)

// sotwWatch is one state-of-the-world request waiting for an answer.
type sotwWatch struct {
	req *cachev3.Request
	sub cachev3.Subscription
	out chan cachev3.Response
	// known is the version the proxy holds: the one it ACKed, or after a
	// NACK the one it rejected.
	known string
}

// answer sends the watch its response if the proxy lacks something:
// another version of the type, or (on a new request) resources it has just
// started to name. Sending never blocks: the server gives each watch room
// for its one response.
func (w *sotwWatch) answer(snap *Snapshot, newRequest bool) bool {
	set := snap.set(w.req.GetTypeUrl())
	if set == nil {
		return false // a type sailplane does not serve; the watch stays open
	}
	if w.known == set.version && !(newRequest && w.namesNew(set)) {
		return false
	}
	w.out <- w.response(set)
	return true
}

// namesNew reports whether the request names a resource that exists but
// was not in the last response (Envoy asks for EDS and RDS names as it
// learns them, with the version it already has).
func (w *sotwWatch) namesNew(set *typeSet) bool {
	if w.sub.IsWildcard() {
		return false
	}
	returned := w.sub.ReturnedResources()
	for name := range w.sub.SubscribedResources() {
		if _, ok := returned[name]; !ok && set.lookup(name) != nil {
			return true
		}
	}
	return false
}

// response is the whole set for a wildcard request, otherwise the named
// resources that exist, in name order. For Listeners and Clusters this is
// the complete state the protocol requires; for Routes and Endpoints the
// proxy keeps what it already has of names not in the response.
func (w *sotwWatch) response(set *typeSet) *sotwResponse {
	r := &sotwResponse{req: w.req, version: set.version}
	if w.sub.IsWildcard() {
		r.resources = set.anys
		return r
	}
	subscribed := w.sub.SubscribedResources()
	r.returned = make(map[string]string, len(subscribed))
	for _, it := range set.items {
		if _, ok := subscribed[it.name]; ok {
			r.resources = append(r.resources, it.any)
			r.returned[it.name] = set.version
		}
	}
	return r
}

// sotwResponse points at shared, already marshalled resources.
type sotwResponse struct {
	req       *cachev3.Request
	version   string
	resources []*anypb.Any
	// returned are the names sent, which the server hands back with the
	// next request (nil for a wildcard: everything was sent).
	returned map[string]string
}

var _ cachev3.Response = (*sotwResponse)(nil)

// GetDiscoveryResponse returns a new message each call: the server writes
// the stream's nonce into it. The resources are shared and never written.
func (r *sotwResponse) GetDiscoveryResponse() (*discoveryv3.DiscoveryResponse, error) {
	return &discoveryv3.DiscoveryResponse{VersionInfo: r.version, Resources: r.resources, TypeUrl: r.req.GetTypeUrl()}, nil
}

func (r *sotwResponse) GetRequest() *discoveryv3.DiscoveryRequest { return r.req }
func (r *sotwResponse) GetVersion() (string, error)               { return r.version, nil }
func (r *sotwResponse) GetResponseVersion() string                { return r.version }
func (r *sotwResponse) GetReturnedResources() map[string]string   { return r.returned }
func (r *sotwResponse) GetContext() context.Context               { return context.Background() }
