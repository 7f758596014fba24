package xdsserver

import "slices"

// A large set is held as runs of its sorted items, each run interned by
// content within a publish and carried to the next, so sets that differ in
// a few items share the rest. Where a run ends is decided by its items'
// content (a bit pattern of an item's fingerprint), not by its position:
// two groups' cluster sets that differ only in their inbound clusters cut
// their common outbound clusters at the same places after the first
// boundary past the difference. Runs also end chunks (chunks.go), so the
// bodies of sets sharing a run share its encoded chunks.
const (
	// runFrom is the size from which a set is cut into runs; a smaller
	// one is a run of its own.
	runFrom = 128
	// A run holds runMin to runMax items; past runMin it ends after an
	// item whose fingerprint matches runMask, about one in sixty-four.
	runMin  = 16
	runMax  = 512
	runMask = 63
)

// runKey names a run by its ends and length; runs that share them and
// differ inside (a changed item mid-run) are told apart by comparing
// items, so a set carried over re-registers its runs without walking them.
type runKey struct {
	first, last *item
	n           int
}

func keyOf(run []*item) runKey { return runKey{first: run[0], last: run[len(run)-1], n: len(run)} }

// runsOf cuts sorted items into interned runs. items is not kept.
func (b *Builder) runsOf(items []*item) [][]*item {
	if len(items) < runFrom {
		return [][]*item{slices.Clone(items)}
	}
	var runs [][]*item
	for len(items) > 0 {
		n := runEnd(items)
		runs = append(runs, b.run(items[:n]))
		items = items[n:]
	}
	return slices.Clip(runs)
}

// runEnd is how many of items the next run takes.
func runEnd(items []*item) int {
	for i, it := range items {
		if n := i + 1; n >= runMax || n >= runMin && it.fp[len(it.fp)-1]&runMask == 0 {
			return n
		}
	}
	return len(items)
}

// run returns the interned run of these items: this publish's, the last
// one's, or a copy made now.
func (b *Builder) run(items []*item) []*item {
	key := keyOf(items)
	if r, ok := b.cur.runs[key]; ok && slices.Equal(r, items) {
		return r
	}
	r, ok := b.prev.runs[key]
	if !ok || !slices.Equal(r, items) {
		r = slices.Clone(items)
	}
	b.cur.runs[key] = r
	return r
}

// keepRuns makes a set carried over from the last publish's runs this
// publish's, so new sets share them.
func (b *Builder) keepRuns(s *typeSet) {
	if s.n < runFrom {
		return
	}
	for _, r := range s.runs {
		b.cur.runs[keyOf(r)] = r
	}
}
