package xdsserver

import (
	"slices"
	"sort"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
)

// deltaStream is one Delta stream (ADS or one type's service).
type deltaStream struct {
	streamBase
	types [numTypes]*deltaType
}

// deltaType is one type's state on a Delta stream. What the proxy holds is
// a reference to the set it was last sent, for the subscription of then,
// plus deviations only while it differs from that: the versions a
// reconnecting proxy announces before its first answer, and names it
// unsubscribed since.
type deltaType struct {
	sub     deltaSub
	waiting bool
	// held is the set last sent (or found equal to what the proxy has),
	// for heldSub's names.
	held    *typeSet
	heldSub deltaSub
	// dev overrides held: a name's version, or "" for a resource the
	// proxy does not hold. Nil whenever the proxy holds exactly held.
	dev map[string]string
}

// deltaSub is a Delta subscription: the names asked for (sorted,
// interned) and whether everything is (legacy: a first request naming
// nothing; or "*").
type deltaSub struct {
	legacy, wildcard bool
	list             *nameList
}

func (s deltaSub) covers(name string) bool { return s.wildcard || s.list.has(name) }

func (s deltaSub) sameAs(o deltaSub) bool {
	return s.wildcard == o.wildcard && (s.wildcard || s.list.id == o.list.id)
}

func (p *port) serveDelta(g grpc.ServerStream, defaultType string) error {
	x := &deltaStream{streamBase: newStreamBase(p, g, defaultType)}
	defer func() {
		x.leave(x)
		p.cb.OnDeltaStreamClosed(x.id, x.node)
	}()
	if err := p.cb.OnDeltaStreamOpen(g.Context(), x.id, defaultType); err != nil {
		return err
	}
	return serveLoop[discoveryv3.DeltaDiscoveryRequest](p.ctx, g, x.kick, x.pushAll, x.handle)
}

// handle records a request's subscription changes and answers what the
// proxy lacks. Every request (an ACK too) may be answered; a Delta NACK
// needs no special care, as the stream records what it sent, so the diff
// against a NACKed response is empty until the configuration changes.
func (x *deltaStream) handle(req *discoveryv3.DeltaDiscoveryRequest) error {
	if err := x.p.cb.OnStreamDeltaRequest(x.id, req); err != nil {
		return err
	}
	x.fillNode(&req.Node)
	if err := x.typeOf(&req.TypeUrl); err != nil {
		return err
	}
	t, ok := typeIndex(req.GetTypeUrl())
	if !ok {
		return nil
	}
	st := x.types[t]
	if st == nil {
		st = &deltaType{sub: deltaSub{legacy: true, wildcard: len(req.GetResourceNamesSubscribe()) == 0}}
		if v := req.GetInitialResourceVersions(); len(v) > 0 {
			st.dev = v // a reconnect: what the proxy still has
		}
		x.types[t] = st
	}
	st.update(x.p.cache.lists, req.GetResourceNamesSubscribe(), req.GetResourceNamesUnsubscribe())
	st.waiting = true
	x.follow(req.GetNode().GetId(), x)
	return x.answer(t, x.snapshot())
}

// update applies a request's subscribe and unsubscribe lists. An
// unsubscribed resource is one the proxy no longer holds.
func (st *deltaType) update(lists *listTable, add, remove []string) {
	if st.sub.legacy {
		if len(add) == 0 {
			return
		}
		st.sub.legacy = false
	}
	for _, n := range add {
		if n == explicitWildcard {
			st.sub.wildcard = true
		}
	}
	for _, n := range remove {
		if n == explicitWildcard {
			st.sub.wildcard = false
			continue
		}
		if _, holds := st.view(n); holds {
			if st.dev == nil {
				st.dev = map[string]string{}
			}
			st.dev[n] = ""
		}
	}
	if len(add)+len(remove) > 0 || st.sub.list == nil {
		st.sub.list = lists.edited(st.sub.list, add, remove)
	}
}

// view is the version of name the proxy holds, if it holds it.
func (st *deltaType) view(name string) (string, bool) {
	if v, ok := st.dev[name]; ok {
		return v, v != ""
	}
	if st.held == nil || !st.heldSub.covers(name) {
		return "", false
	}
	if it := st.held.lookup(name); it != nil {
		return it.version, true
	}
	return "", false
}

func (x *deltaStream) pushAll() error {
	snap := x.snapshot()
	for _, t := range pushOrder {
		if err := x.answer(t, snap); err != nil {
			return err
		}
	}
	return nil
}

// answer sends the changed and removed resources, if there are any. Once
// compared, the proxy holds the set for its subscription, sent or not.
func (x *deltaStream) answer(t int, snap *Snapshot) error {
	st := x.types[t]
	if st == nil || !st.waiting || snap == nil || snap.sets[t] == nil {
		return nil
	}
	set := snap.sets[t]
	if st.dev == nil && st.held == set && st.heldSub.sameAs(st.sub) {
		return nil // it holds this set already
	}
	enc := x.response(t, st, set)
	st.held, st.heldSub, st.dev = set, st.sub, nil
	if enc == nil {
		return nil
	}
	st.waiting = false
	nonce := x.nextNonce()
	x.p.cb.deltaResponded(x.id, typeURLs[t], enc.version, enc.size)
	return x.grpc.SendMsg(&outgoing{enc: enc, nonce: nonce, nonceField: deltaNonce})
}

// response is the encoded difference between what the proxy holds and
// set, shared by every stream making the same move; a proxy with
// deviations gets one of its own.
func (x *deltaStream) response(t int, st *deltaType, set *typeSet) *encoded {
	held, heldSub, sub := st.held, st.heldSub, st.sub
	build := func() *encoded {
		var changed []*item
		var removed []string
		if st.dev == nil && held != nil && heldSub.sameAs(sub) {
			changed, removed = x.fromHeld(held, set, sub)
		} else {
			changed, removed = st.diff(set)
		}
		if len(changed) == 0 && len(removed) == 0 {
			return nil
		}
		return encDelta(x.p.cache.enc.chunks, typeURLs[t], set.version, changed, removed)
	}
	if st.dev != nil {
		return x.p.cache.enc.own(build())
	}
	key := encKey{kind: deltaKind, from: held, to: set, fromAll: heldSub.wildcard, toAll: sub.wildcard}
	if heldSub.list != nil {
		key.fromNames = heldSub.list.id
	}
	if sub.list != nil {
		key.toNames = sub.list.id
	}
	return x.p.cache.enc.get(key, build)
}

// fromHeld is what changed between the held set and set, of the names
// the subscription covers: the pair's difference, computed once.
func (x *deltaStream) fromHeld(held, set *typeSet, sub deltaSub) ([]*item, []string) {
	d := x.p.cache.diffs.diff(held, set)
	if sub.wildcard {
		return d.changed, d.removed
	}
	var removed []string
	for _, n := range d.removed {
		if sub.list.has(n) {
			removed = append(removed, n)
		}
	}
	return itemsNamed(slices.Values(d.changed), sub.list), removed
}

// diff compares set, name by name, with what the proxy holds.
func (st *deltaType) diff(set *typeSet) (changed []*item, removed []string) {
	if !st.sub.wildcard {
		for _, n := range st.sub.list.names {
			it := set.lookup(n)
			v, holds := st.view(n)
			switch {
			case it != nil && (!holds || v != it.version):
				changed = append(changed, it)
			case it == nil && holds:
				removed = append(removed, n)
			}
		}
		return changed, removed
	}
	for it := range set.all() {
		if v, holds := st.view(it.name); !holds || v != it.version {
			changed = append(changed, it)
		}
	}
	if st.held != nil {
		for it := range st.held.all() {
			if _, dev := st.dev[it.name]; !dev && st.heldSub.covers(it.name) && set.lookup(it.name) == nil {
				removed = append(removed, it.name)
			}
		}
	}
	for n, v := range st.dev {
		if v != "" && set.lookup(n) == nil {
			removed = append(removed, n)
		}
	}
	sort.Strings(removed)
	return changed, removed
}
