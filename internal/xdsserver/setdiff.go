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
