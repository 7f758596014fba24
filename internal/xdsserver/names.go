package xdsserver

import (
	"hash/maphash"
	"slices"
	"sort"
	"sync"

	"github.com/sailplane/sailplane/internal/listid"
	"github.com/sailplane/sailplane/internal/sethash"
)

// A stream's subscription is a list of names, and most streams of a mesh
// name the same few lists (every proxy of a group asks for the same load
// assignments). So a list is interned: streams asking for equal lists hold
// one shared, immutable nameList, and per stream the subscription costs a
// pointer, not a map of every name.

// namesID identifies a list of names regardless of order: two sums of
// independent mixes of each name's hash, and the count.
type namesID struct {
	a, b uint64
	n    int
}

var namesSeedA, namesSeedB = maphash.MakeSeed(), maphash.MakeSeed()

func idOf(names []string) namesID {
	id := namesID{n: len(names)}
	for _, n := range names {
		id.a += sethash.Mix(maphash.String(namesSeedA, n))
		id.b += sethash.Mix(maphash.String(namesSeedB, n))
	}
	return id
}

// nameList is an immutable list of resource names, shared by every stream
// that asks for the same list.
type nameList struct {
	names []string
	id    namesID

	sortOnce sync.Once
	sorted   []string
}

// has reports whether the list holds name. The sorted copy is made on
// first use (Delta lists are sorted already and share their slice).
func (l *nameList) has(name string) bool {
	if l == nil {
		return false
	}
	l.sortOnce.Do(func() {
		if sort.StringsAreSorted(l.names) {
			l.sorted = l.names
			return
		}
		l.sorted = slices.Clone(l.names)
		sort.Strings(l.sorted)
	})
	_, ok := slices.BinarySearch(l.sorted, name)
	return ok
}

func (l *nameList) len() int {
	if l == nil {
		return 0
	}
	return len(l.names)
}

// listTable interns name lists. It is bounded like nameTable: lists come
// from clients, and past the bound it starts afresh (lists already handed
// out stay valid).
//
// A list's id does not depend on its order, so the same names in another
// order (a state-of-the-world Envoy names them in its own order, a Delta
// subscription is kept sorted) have the same id: each id keeps a few
// lists, or streams of the two orders would take turns replacing each
// other's list and share none.
type listTable struct {
	mu    sync.Mutex
	lists map[namesID][]*nameList
	count int
	// bySlice finds a list by the slice it was made of: decoded requests
	// repeating a list hand over the same slice (see nameTable.list), and
	// it is not hashed again.
	bySlice map[listid.ID[string]]*nameList
	max     int
}

const maxInternedLists = 1 << 14

// maxOrders is how many orders of one list are kept; past it the oldest
// goes, so a client reordering its names cannot make a lookup long.
const maxOrders = 4

func newListTable(max int) *listTable {
	return &listTable{lists: map[namesID][]*nameList{}, bySlice: map[listid.ID[string]]*nameList{}, max: max}
}

// intern returns the shared list equal to names (same names, same order),
// or a new one. names must not be modified afterwards. names is a decoded
// request's (nameTable hands the same slice for the same names), so the
// list is also found by its slice next time.
func (t *listTable) intern(names []string) *nameList {
	return t.internSlice(names, len(names) >= bySliceFrom)
}

// internBuilt is intern for a slice made here (an edit, an intersection):
// the list is found by its names only. Keyed by its slice, the table would
// keep every such slice alive, one per edit, even when an equal list was
// there already: a Delta stream's subscription edits held 24 MiB of dead
// copies at the reference mesh.
func (t *listTable) internBuilt(names []string) *nameList {
	return t.internSlice(names, false)
}

func (t *listTable) internSlice(names []string, bySlice bool) *nameList {
	key := listid.Of(names)
	if bySlice {
		t.mu.Lock()
		l, ok := t.bySlice[key]
		t.mu.Unlock()
		if ok {
			return l
		}
	}
	id := idOf(names)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.bySlice) >= t.max {
		clear(t.bySlice)
	}
	l := t.find(id, names)
	if bySlice {
		t.bySlice[key] = l
	}
	return l
}

// find returns the list of id equal to names, adding it if there is none.
func (t *listTable) find(id namesID, names []string) *nameList {
	same := t.lists[id]
	for _, l := range same {
		if slices.Equal(l.names, names) {
			return l
		}
	}
	if t.count >= t.max {
		clear(t.lists)
		t.count, same = 0, nil
	}
	if len(same) >= maxOrders {
		same = slices.Delete(same, 0, 1)
		t.count--
	}
	l := &nameList{names: names, id: id}
	t.lists[id] = append(same, l)
	t.count++
	return l
}

// bySliceFrom is the shortest list found by its slice: shorter ones are
// cheap to hash, and come as new slices.
const bySliceFrom = 16

// edited is the sorted list of base's names plus add minus remove ("*"
// entries left out: they switch wildcard, see deltaSub); base is returned
// as it is when nothing changes.
func (t *listTable) edited(base *nameList, add, remove []string) *nameList {
	var cur []string
	if base != nil {
		cur = base.names
	}
	drop := make(map[string]bool, len(remove))
	for _, n := range remove {
		drop[n] = true
	}
	out := make([]string, 0, len(cur)+len(add))
	for _, n := range cur {
		if !drop[n] {
			out = append(out, n)
		}
	}
	for _, n := range add {
		if n != explicitWildcard && !drop[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	out = slices.Compact(out)
	if base != nil && slices.Equal(out, base.names) {
		return base
	}
	return t.internBuilt(out)
}

// intersect is the sorted names of a that b holds too.
func (t *listTable) intersect(a, b *nameList) *nameList {
	if a == b {
		return a
	}
	var out []string
	for _, n := range a.names {
		if b.has(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return t.internBuilt(out)
}

// explicitWildcard is the name that asks for every resource of a type.
const explicitWildcard = "*"
