package xdsserver

import "sync"

// A push after a small change should cost each stream what changed, not
// what it holds: one load assignment out of 1600, not a walk over all of
// them, for each of 2000 proxies. Every stream holds a reference to the
// set it was last sent, so the next push is the difference between that
// set and the new one, computed once per pair of sets and shared by every
// stream that makes the same move.

// setDiff is how a set differs from an earlier one.
type setDiff struct {
	changed []*item  // new or changed, in name order
	removed []string // in name order
}

// diffSets walks two sets in name order. A run both sets hold is the same
// items: it is stepped over whole.
func diffSets(old, cur *typeSet) *setDiff {
	d := &setDiff{}
	a, b := cursorOf(old), cursorOf(cur)
	for !a.done() || !b.done() {
		if a.sameRun(b) {
			a.skipRun()
			b.skipRun()
			continue
		}
		x, y := a.peek(), b.peek()
		switch {
		case y == nil || x != nil && x.name < y.name:
			d.removed = append(d.removed, x.name)
			a.next()
		case x == nil || y.name < x.name:
			d.changed = append(d.changed, y)
			b.next()
		default:
			if x.version != y.version {
				d.changed = append(d.changed, y)
			}
			a.next()
			b.next()
		}
	}
	return d
}

// cursor walks a set's runs.
type cursor struct {
	runs [][]*item
	i, j int // run, item in it
}

func cursorOf(s *typeSet) *cursor {
	c := &cursor{runs: s.runs}
	c.settle()
	return c
}

// settle moves past empty runs.
func (c *cursor) settle() {
	for c.i < len(c.runs) && c.j >= len(c.runs[c.i]) {
		c.i, c.j = c.i+1, 0
	}
}

func (c *cursor) done() bool { return c.i >= len(c.runs) }

func (c *cursor) peek() *item {
	if c.done() {
		return nil
	}
	return c.runs[c.i][c.j]
}

func (c *cursor) next() {
	c.j++
	c.settle()
}

// sameRun reports whether both cursors stand at the start of one run.
func (c *cursor) sameRun(o *cursor) bool {
	if c.done() || o.done() || c.j != 0 || o.j != 0 {
		return false
	}
	r, s := c.runs[c.i], o.runs[o.i]
	return len(r) == len(s) && &r[0] == &s[0]
}

func (c *cursor) skipRun() {
	c.i, c.j = c.i+1, 0
	c.settle()
}

// diffCache keeps the differences of the last two publishes' pairs of
// sets; older ones are computed again if ever asked for.
type diffCache struct {
	mu        sync.Mutex
	cur, prev map[[2]*typeSet]*setDiff
}

func newDiffCache() *diffCache {
	return &diffCache{cur: map[[2]*typeSet]*setDiff{}, prev: map[[2]*typeSet]*setDiff{}}
}

// rotate starts a new generation (once per publish).
func (c *diffCache) rotate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prev, c.cur = c.cur, map[[2]*typeSet]*setDiff{}
}

// diff returns how cur differs from old, computed once per pair.
func (c *diffCache) diff(old, cur *typeSet) *setDiff {
	key := [2]*typeSet{old, cur}
	c.mu.Lock()
	d, ok := c.cur[key]
	if !ok {
		if d, ok = c.prev[key]; ok {
			c.cur[key] = d
		}
	}
	c.mu.Unlock()
	if ok {
		return d
	}
	d = diffSets(old, cur)
	c.mu.Lock()
	c.cur[key] = d
	c.mu.Unlock()
	return d
}
