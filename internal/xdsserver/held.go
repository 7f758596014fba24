package xdsserver

import (
	"hash/maphash"
	"strconv"
	"strings"
	"sync"

	"github.com/sailplane/sailplane/internal/sethash"
)

// A push after a small change should cost each stream what changed, not
// what it holds: one load assignment out of 1600, not a walk over all of
// them and a new map of all their versions, for each of 2000 proxies.
//
// So the cache remembers which set each stream holds, inside the map of
// returned resources that go-control-plane's server keeps per stream and
// hands back with the next request (it touches only names a request
// subscribes or unsubscribes). The next push to the stream is then the
// difference between the held set and the new one, computed once per pair
// of sets and shared by every stream that makes the same move. Whenever
// the record is missing, stale or doubtful, the cache falls back to the
// full comparison.

// heldKey is the entry recording the held set in a Delta stream's version
// map. Resource names never start with a NUL byte.
const heldKey = "\x00held"

// heldRecord is what heldKey holds: the set's version and the size of the
// map when it was written, so a map the server changed since (an
// unsubscribe) does not pass for the one the cache wrote.
func heldRecord(version string, size int) string { return version + "|" + strconv.Itoa(size) }

func parseHeld(v string) (version string, size int, ok bool) {
	version, n, ok := strings.Cut(v, "|")
	if !ok {
		return "", 0, false
	}
	size, err := strconv.Atoi(n)
	return version, size, err == nil
}

// namedRecord is the single entry of a state-of-the-world stream's map for
// a type asked for by name: the set version sent and a hash of the names
// asked for. It is filed under one of those names, because the server
// drops every entry whose name the next request does not ask for.
func namedRecord(version string, names uint64) string {
	return version + "|" + strconv.FormatUint(names, 16)
}

var namesSeed = maphash.MakeSeed()

// namesHash identifies a set of names regardless of order.
func namesHash(names map[string]struct{}) uint64 {
	var sum uint64
	for n := range names {
		sum += sethash.Mix(maphash.String(namesSeed, n))
	}
	return sum
}

// setDiff is how a set differs from an earlier one.
type setDiff struct {
	changed []*item  // new or changed, in name order
	removed []string // in name order
}

// diffSets walks two sets in name order.
func diffSets(old, cur *typeSet) *setDiff {
	d := &setDiff{}
	a, b := old.items, cur.items
	for len(a) > 0 || len(b) > 0 {
		switch {
		case len(b) == 0 || len(a) > 0 && a[0].name < b[0].name:
			d.removed, a = append(d.removed, a[0].name), a[1:]
		case len(a) == 0 || b[0].name < a[0].name:
			d.changed, b = append(d.changed, b[0]), b[1:]
		default:
			if a[0].version != b[0].version {
				d.changed = append(d.changed, b[0])
			}
			a, b = a[1:], b[1:]
		}
	}
	return d
}

// setRegistry finds recent sets by version, and their differences. It
// keeps the sets of the last two publishes: a stream holding an older one
// gets the full comparison.
type setRegistry struct {
	mu        sync.Mutex
	cur, prev map[setID]*typeSet
	diffs     map[[2]*typeSet]*setDiff
}

func newSetRegistry() *setRegistry {
	return &setRegistry{cur: map[setID]*typeSet{}, prev: map[setID]*typeSet{}, diffs: map[[2]*typeSet]*setDiff{}}
}

func (r *setRegistry) add(snap *Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for t, s := range snap.sets {
		if s != nil {
			r.cur[setID{t, s.version}] = s
		}
	}
}

// rotate starts a new generation (once per publish).
func (r *setRegistry) rotate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prev, r.cur = r.cur, map[setID]*typeSet{}
	r.diffs = map[[2]*typeSet]*setDiff{}
}

func (r *setRegistry) find(typeURL, version string) *typeSet {
	t, ok := typeIndex(typeURL)
	if !ok {
		return nil
	}
	key := setID{t, version}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.cur[key]; ok {
		return s
	}
	return r.prev[key]
}

// diff returns how cur differs from old, computed once per pair.
func (r *setRegistry) diff(old, cur *typeSet) *setDiff {
	r.mu.Lock()
	d, ok := r.diffs[[2]*typeSet{old, cur}]
	r.mu.Unlock()
	if ok {
		return d
	}
	d = diffSets(old, cur)
	r.mu.Lock()
	r.diffs[[2]*typeSet{old, cur}] = d
	r.mu.Unlock()
	return d
}
