package bench

import (
	"bytes"
	"hash/maphash"
	"sync"

	"github.com/sailplane/sailplane/internal/sethash"
)

// The simulated proxies hold what they accepted, but thousands of them
// holding their own copies would make the benchmark measure itself: the
// clients share the process (and its heap) with the control plane. So
// every resource is interned by content, and so is every set of resources
// of one type: proxies of one group point at the same sets, and the
// analysis of a set (is it complete, is it consistent) runs once per set.

// Resource types in the order Envoy asks for them.
const (
	typeCDS = iota
	typeEDS
	typeLDS
	typeRDS
	numTypes
)

// entry is one resource as received, interned by content.
type entry struct {
	name string
	raw  []byte
	hash uint64
	// nameHash is the name's hash (see typeState.names).
	nameHash uint64
	// eds: a cluster whose endpoints come over EDS.
	eds bool
	// rds: route configurations a listener names.
	rds []string
	// clusters a listener (tcp_proxy, inline routes) or a route
	// configuration sends traffic to.
	clusters []string
}

// typeState is the set of resources of one type a proxy holds.
type typeState struct {
	entries map[string]*entry
	sum     uint64
	size    int
	// names identifies the set's names, whatever their content: the sum
	// of their mixed hashes. A check that reads a set only for which names
	// it holds is kept by them, so an endpoint change (every group's load
	// assignments new, their names the same) checks nothing again.
	names uint64
	// edsNames identifies the names of a cluster set's EDS clusters, which
	// are all its follow-up names depend on.
	edsNames uint64

	followOnce sync.Once
	follow     []string
}

// followUp returns, once per set, the names a proxy holding it asks for
// next (see followUpNames). Cluster sets with the same EDS clusters share
// one list: pod churn gives every group new clusters (their SANs) under
// the same names, and each group sorting its 1600 names again took a
// tenth of the simulated proxies' CPU; a stream seeing the list it already
// asked for knows nothing changed (sameList).
func (s *store) followUp(typ int, st *typeState) []string {
	st.followOnce.Do(func() {
		if typ != typeCDS {
			st.follow = followUpNames(typ, st)
			return
		}
		s.mu.Lock()
		f, ok := s.follows[st.edsNames]
		s.mu.Unlock()
		if !ok {
			f = followUpNames(typ, st)
			s.mu.Lock()
			s.follows[st.edsNames] = f
			s.mu.Unlock()
		}
		st.follow = f
	})
	return st.follow
}

// sameList reports whether a and b are the same list (one backing array).
func sameList(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// store interns entries and sets. Keys are content hashes: maphash's 64
// bits make a collision between two of the few thousand distinct resources
// a run sees vanishingly unlikely.
type store struct {
	seed    maphash.Seed
	mu      sync.Mutex
	entries [numTypes]map[uint64]*entry
	// decoding are the entries being decoded, closed once they are.
	decoding [numTypes]map[uint64]chan struct{}
	states   [numTypes]map[uint64]*typeState
	// The checks of a proxy's sets (see check), by what they read.
	refs       map[checkKey]string
	edsCovered map[checkKey]bool
	rdsCovered map[checkKey]bool
	// follows are the follow-up lists of cluster sets, by edsNames.
	follows map[uint64][]string
}

// checkKey is what a check reads: sets whose content it reads, and the
// names of one set it reads only for its names.
type checkKey struct {
	sets  [2]*typeState
	names uint64
}

func newStore() *store {
	s := &store{seed: maphash.MakeSeed()}
	s.reset()
	return s
}

func (s *store) reset() {
	for t := range numTypes {
		s.entries[t] = map[uint64]*entry{}
		if s.decoding[t] == nil {
			s.decoding[t] = map[uint64]chan struct{}{}
		}
		s.states[t] = map[uint64]*typeState{}
	}
	s.refs = map[checkKey]string{}
	s.edsCovered = map[checkKey]bool{}
	s.rdsCovered = map[checkKey]bool{}
	s.follows = map[uint64][]string{}
}

// entry returns the interned entry for raw; the first time, it decodes the
// resource (outside the lock: decoding a route table takes a while).
//
// One proxy decodes, the others wanting the same bytes meanwhile wait for
// it: 2000 proxies receive a changed route table within milliseconds, and
// each decoding 600 KiB of it took more CPU than the control plane spent
// on the change.
func (s *store) entry(typ int, raw rope) (*entry, error) {
	h := s.hash(raw)
	s.mu.Lock()
	e := s.entries[typ][h]
	wait, busy := s.decoding[typ][h]
	if e == nil && !busy {
		wait = make(chan struct{})
		s.decoding[typ][h] = wait
	}
	s.mu.Unlock()
	if e != nil {
		return e, nil
	}
	if busy {
		<-wait
		s.mu.Lock()
		e = s.entries[typ][h]
		s.mu.Unlock()
		if e != nil {
			return e, nil
		}
		// The decoder failed: decode again for this proxy's own error.
		return decodeEntry(typ, bytes.Clone(raw.flat()))
	}
	// raw lies in the response's buffers: keep a copy of its own, so the
	// buffers can go.
	e, err := decodeEntry(typ, bytes.Clone(raw.flat()))
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.decoding[typ], h)
	close(wait)
	if err != nil {
		return nil, err
	}
	e.hash, e.nameHash = h, maphash.String(s.seed, e.name)
	s.entries[typ][h] = e
	return e, nil
}

// hash is maphash.Bytes of the rope's bytes, written piece by piece.
func (s *store) hash(r rope) uint64 {
	if b := r.flatIfOne(); b != nil || r.n == 0 {
		return maphash.Bytes(s.seed, b)
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	r.each(func(b []byte) { _, _ = h.Write(b) })
	return h.Sum64()
}

// mix spreads an entry hash so that sums of hashes identify sets.
func mix(h uint64) uint64 { return sethash.Mix(h) }

// stateOf returns the interned set with the given sum, building it with
// build only when no proxy holds that set yet.
func (s *store) stateOf(typ int, sum uint64, build func() map[string]*entry) *typeState {
	s.mu.Lock()
	st := s.states[typ][sum]
	s.mu.Unlock()
	if st != nil {
		return st
	}
	st = &typeState{entries: build(), sum: sum}
	for _, e := range st.entries {
		st.size += len(e.raw)
		h := e.nameHash
		if h == 0 { // an entry made by hand, not by entry
			h = maphash.String(s.seed, e.name)
		}
		st.names += mix(h)
		if e.eds {
			st.edsNames += mix(h)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.states[typ][sum]; prev != nil {
		return prev
	}
	s.states[typ][sum] = st
	return st
}

// replace is a state-of-the-world update: the response is the whole set.
func (s *store) replace(typ int, es []*entry) *typeState {
	var sum uint64
	for _, e := range es {
		sum += mix(e.hash)
	}
	return s.stateOf(typ, sum, func() map[string]*entry {
		m := make(map[string]*entry, len(es))
		for _, e := range es {
			m[e.name] = e
		}
		return m
	})
}

// apply is a Delta update: changed resources and removed names on top of
// the proxy's current set. The sum is updated incrementally, so a proxy
// whose group already moved to this set copies nothing.
func (s *store) apply(typ int, cur *typeState, changed []*entry, removed []string) *typeState {
	var old map[string]*entry
	var sum uint64
	if cur != nil {
		old, sum = cur.entries, cur.sum
	}
	for _, e := range changed {
		if prev := old[e.name]; prev != nil {
			sum -= mix(prev.hash)
		}
		sum += mix(e.hash)
	}
	for _, n := range removed {
		if prev := old[n]; prev != nil {
			sum -= mix(prev.hash)
		}
	}
	return s.stateOf(typ, sum, func() map[string]*entry {
		m := make(map[string]*entry, len(old)+len(changed))
		for n, e := range old {
			m[n] = e
		}
		for _, e := range changed {
			m[e.name] = e
		}
		for _, n := range removed {
			delete(m, n)
		}
		return m
	})
}

// compact forgets the sets and entries no proxy holds any more, so a long
// run does not keep every version ever sent.
func (s *store) compact(held [][numTypes]*typeState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	refs, eds, rds, follows := s.refs, s.edsCovered, s.rdsCovered, s.follows
	s.reset()
	seen := map[*typeState]bool{nil: true}
	var names [numTypes]map[uint64]bool
	for t := range names {
		names[t] = map[uint64]bool{}
	}
	for _, states := range held {
		for t, st := range states {
			if seen[st] {
				continue
			}
			seen[st] = true
			names[t][st.names] = true
			s.states[t][st.sum] = st
			if f, ok := follows[st.edsNames]; ok && t == typeCDS {
				s.follows[st.edsNames] = f
			}
			for _, e := range st.entries {
				s.entries[t][e.hash] = e
			}
		}
	}
	// The checks of sets still held stay: their verdicts are functions of
	// the sets, and checking 1317 groups' route tables again after every
	// change took half of the simulated side's CPU in an endpoint change.
	keepChecks(refs, s.refs, seen, names[typeCDS])
	keepChecks(eds, s.edsCovered, seen, names[typeEDS])
	keepChecks(rds, s.rdsCovered, seen, names[typeRDS])
}

// keepChecks copies into to the checks of from whose sets are all held,
// and whose names some held set has.
func keepChecks[V any](from, to map[checkKey]V, held map[*typeState]bool, names map[uint64]bool) {
	for k, v := range from {
		if held[k.sets[0]] && held[k.sets[1]] && names[k.names] {
			to[k] = v
		}
	}
}
