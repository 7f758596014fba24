package xdsserver

import (
	"iter"
	"slices"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
)

// sotwStream is one state-of-the-world stream (ADS or one type's
// service). Per type it keeps references, not maps: the subscription (an
// interned name list), the set last sent, the nonce.
type sotwStream struct {
	streamBase
	types [numTypes]*sotwType
}

// sotwType is one type's state on a stream.
type sotwType struct {
	sub sotwSub
	// waiting: a request is unanswered (one response per request).
	waiting bool
	// known is the version the proxy holds: the one it ACKed, or after a
	// NACK the one it rejected.
	known string
	nonce string
	// sent and sentSub are the set and subscription the last response
	// answered.
	sent    *typeSet
	sentSub sotwSub
}

// sotwSub is a state-of-the-world subscription. The first request of a
// type asking for nothing asks for everything (legacy wildcard), until a
// request names something; "*" asks for everything explicitly.
type sotwSub struct {
	legacy, wildcard bool
	list             *nameList
}

func newSotwSub(lists *listTable, asked *nameList) sotwSub {
	s := sotwSub{legacy: true, wildcard: asked.len() == 0}
	s.set(lists, asked)
	return s
}

// set takes the names a request asked for (interned).
func (s *sotwSub) set(lists *listTable, asked *nameList) {
	if s.legacy {
		if asked.len() == 0 {
			return
		}
		s.legacy = false
	}
	s.list = asked
	if s.wildcard = slices.Contains(asked.names, explicitWildcard); s.wildcard {
		s.list = lists.internBuilt(slices.DeleteFunc(slices.Clone(asked.names), func(n string) bool { return n == explicitWildcard }))
	}
}

func (p *port) serveSotW(g grpc.ServerStream, defaultType string) error {
	x := &sotwStream{streamBase: newStreamBase(p, g, defaultType)}
	defer func() {
		x.leave(x)
		p.cb.OnStreamClosed(x.id, x.node)
	}()
	if err := p.cb.OnStreamOpen(g.Context(), x.id, defaultType); err != nil {
		return err
	}
	return serveLoop[discoveryv3.DiscoveryRequest](p.ctx, g, x.kick, x.pushAll, x.handle)
}

// handle checks and records a request, then answers it if the proxy lacks
// something. A request whose nonce is not the last one sent for its type
// answers an older response and is ignored.
//
// The request's names are interned first: the stream and the tracker keep
// the list every stream naming the same resources shares, not the list
// each request decoded (Envoy names every load assignment on every ACK).
func (x *sotwStream) handle(req *discoveryv3.DiscoveryRequest) error {
	x.fillNode(&req.Node)
	if err := x.typeOf(&req.TypeUrl); err != nil {
		return err
	}
	lists := x.p.cache.lists
	asked := lists.intern(req.GetResourceNames())
	req.ResourceNames = asked.names
	if err := x.p.cb.OnStreamRequest(x.id, req); err != nil {
		return err
	}
	t, ok := typeIndex(req.GetTypeUrl())
	if !ok {
		return nil // a type sailplane does not serve: never answered
	}
	st := x.types[t]
	switch {
	case st == nil:
		st = &sotwType{sub: newSotwSub(lists, asked)}
		x.types[t] = st
	case st.nonce != "" && req.GetResponseNonce() != st.nonce:
		return nil
	default:
		st.sub.set(lists, asked)
	}
	st.known, st.waiting = req.GetVersionInfo(), true
	if req.GetErrorDetail() != nil {
		st.known = x.p.cache.rejected(req.GetNode().GetId(), req.GetTypeUrl(), req.GetVersionInfo(), req.GetErrorDetail().GetMessage())
	}
	x.follow(req.GetNode().GetId(), x)
	return x.answer(t, x.snapshot(), true)
}

// pushAll answers what a new snapshot changed.
func (x *sotwStream) pushAll() error {
	snap := x.snapshot()
	for _, t := range pushOrder {
		if err := x.answer(t, snap, false); err != nil {
			return err
		}
	}
	return nil
}

// fullState reports whether a response of the type must hold every
// resource the proxy has (Listeners and Clusters in state of the world).
func fullState(t int) bool { return t == typeListener || t == typeCluster }

// answer sends the type's response if the proxy lacks something: another
// version of the type, or (on a new request) resources it has just
// started to name.
func (x *sotwStream) answer(t int, snap *Snapshot, newRequest bool) error {
	st := x.types[t]
	if st == nil || !st.waiting || snap == nil || snap.sets[t] == nil {
		return nil // no snapshot yet, or a type it lacks: the request waits
	}
	set := snap.sets[t]
	var enc *encoded
	if !st.sub.wildcard && !fullState(t) {
		enc = x.named(t, st, set)
	} else {
		if st.known == set.version && !(newRequest && st.namesNew(set)) {
			return nil
		}
		enc = x.whole(t, st, set)
	}
	if enc == nil {
		return nil
	}
	st.sent, st.sentSub = set, st.sub
	return x.send(t, st, enc)
}

// whole is every resource asked for: the whole set for a wildcard
// request, otherwise the named resources that exist, in name order (for
// Listeners and Clusters the complete state the protocol requires;
// proxyless gRPC clients name them).
func (x *sotwStream) whole(t int, st *sotwType, set *typeSet) *encoded {
	key := encKey{kind: sotwWhole, to: set, toAll: st.sub.wildcard}
	if !st.sub.wildcard {
		key.toNames = st.sub.list.id
	}
	sub := st.sub
	return x.p.cache.enc.get(key, func() *encoded {
		runs := set.runs
		if !sub.wildcard {
			runs = [][]*item{itemsNamed(set.all(), sub.list)}
		}
		return encSotWRuns(x.p.cache.enc.chunks, typeURLs[t], set.version, runs)
	})
}

// named answers a request for routes or endpoints by name. For these
// types a response need not repeat what the proxy has (it keeps resources
// a response leaves out), so after a change a proxy is sent only what
// changed since the set it holds. A proxy that named other resources is
// sent every resource it names.
func (x *sotwStream) named(t int, st *sotwType, set *typeSet) *encoded {
	list := st.sub.list
	if list.len() == 0 {
		// The proxy names nothing (grpc-js unsubscribes from its last load
		// assignment with an empty list, not a wildcard): there is nothing
		// to send, and an empty answer would only be ACKed and answered
		// again.
		return nil
	}
	same := st.sent != nil && !st.sentSub.wildcard && st.sentSub.list.id == list.id && st.sent.version == st.known
	if same && st.known == set.version {
		return nil
	}
	if !same {
		return x.whole(t, st, set)
	}
	from := st.sent
	key := encKey{kind: sotwDiff, from: from, to: set, toNames: list.id}
	return x.p.cache.enc.get(key, func() *encoded {
		items := itemsNamed(slices.Values(x.p.cache.diffs.diff(from, set).changed), list)
		if len(items) == 0 {
			return nil // nothing this proxy names changed
		}
		return encSotW(x.p.cache.enc.chunks, typeURLs[t], set.version, items)
	})
}

// namesNew reports whether the request names a resource that exists but
// was not in the last response (Envoy asks for EDS and RDS names as it
// learns them, with the version it already has).
func (st *sotwType) namesNew(set *typeSet) bool {
	if st.sub.wildcard {
		return false
	}
	sent, prev := st.sent, st.sentSub
	if sent == set && !prev.wildcard && prev.list.id == st.sub.list.id {
		return false
	}
	for _, name := range st.sub.list.names {
		if set.lookup(name) == nil {
			continue
		}
		if sent == nil || prev.wildcard || !prev.list.has(name) || sent.lookup(name) == nil {
			return true
		}
	}
	return false
}

// itemsNamed keeps, in order, the items the list names.
func itemsNamed(items iter.Seq[*item], list *nameList) []*item {
	var out []*item
	for it := range items {
		if list.has(it.name) {
			out = append(out, it)
		}
	}
	return out
}

func (x *sotwStream) send(t int, st *sotwType, enc *encoded) error {
	st.nonce, st.waiting = x.nextNonce(), false
	x.p.cb.responded(x.id, typeURLs[t], enc.version, enc.size)
	return x.grpc.SendMsg(&outgoing{enc: enc, nonce: st.nonce, nonceField: sotwNonce})
}
