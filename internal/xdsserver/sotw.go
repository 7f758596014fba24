package xdsserver

import (
	"context"
	"strconv"
	"strings"

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
	// names hashes the names asked for, once: the server cancels a watch
	// before it changes the subscription.
	names  uint64
	hashed bool
}

// answer sends the watch its response if the proxy lacks something:
// another version of the type, or (on a new request) resources it has just
// started to name. Sending never blocks: the server gives each watch room
// for its one response.
func (w *sotwWatch) answer(snap *Snapshot, reg *setRegistry, newRequest bool) bool {
	typeURL := w.req.GetTypeUrl()
	set := snap.set(typeURL)
	if set == nil {
		return false // a type sailplane does not serve; the watch stays open
	}
	if !w.sub.IsWildcard() && !cachev3.ResourceRequiresFullStateInSotw(typeURL) {
		return w.answerNamed(set, reg)
	}
	if w.known == set.version && !(newRequest && w.namesNew(set)) {
		return false
	}
	w.out <- w.response(set)
	return true
}

// answerNamed answers a request for routes or endpoints by name. For
// these types a response need not repeat what the proxy has (it keeps
// resources a response leaves out), so after a change a proxy is sent only
// what changed since the set it holds, found from the record the last
// response left (see held.go). A proxy that named other resources, or whose
// set is no longer known, is sent every resource it names.
func (w *sotwWatch) answerNamed(set *typeSet, reg *setRegistry) bool {
	subscribed := w.sub.SubscribedResources()
	if len(subscribed) == 0 {
		// The proxy names nothing (grpc-js unsubscribes from its last load
		// assignment with an empty list, not a wildcard): there is nothing
		// to send. An empty answer would leave no record of itself, so
		// every ACK of it would be answered again, without end.
		return false
	}
	if !w.hashed {
		w.names, w.hashed = namesHash(subscribed), true
	}
	names := w.names
	recVersion, recNames, ok := w.record()
	sameNames := ok && recNames == names && recVersion == w.known
	if sameNames && w.known == set.version {
		return false
	}
	r := &sotwResponse{req: w.req, version: set.version}
	if old := reg.find(w.req.GetTypeUrl(), w.known); sameNames && old != nil {
		for _, it := range reg.diff(old, set).changed {
			if _, ok := subscribed[it.name]; ok {
				r.resources = append(r.resources, it.any)
			}
		}
		if len(r.resources) == 0 {
			return false // nothing this proxy names changed
		}
	} else {
		for _, it := range set.items {
			if _, ok := subscribed[it.name]; ok {
				r.resources = append(r.resources, it.any)
			}
		}
	}
	for name := range subscribed {
		r.returned = map[string]string{name: namedRecord(set.version, names)}
		break
	}
	w.out <- r
	return true
}

// record reads the entry answerNamed left in the stream's map.
func (w *sotwWatch) record() (version string, names uint64, ok bool) {
	for _, v := range w.sub.ReturnedResources() {
		version, n, found := strings.Cut(v, "|")
		if !found {
			return "", 0, false
		}
		names, err := strconv.ParseUint(n, 16, 64)
		return version, names, err == nil
	}
	return "", 0, false
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
// resources that exist, in name order: for Listeners and Clusters the
// complete state the protocol requires (proxyless gRPC clients name them).
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
