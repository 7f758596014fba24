package push

import "sync"

// Pending is the change not yet taken by a reconcile. Event handlers Add
// to it from the informers' goroutines; the reconcile Takes it. Like
// Istio's debounce, a burst of events becomes one change, and the
// workqueue's one key makes it one reconcile.
type Pending struct {
	mu sync.Mutex
	// c's maps are Pending's own: made here, never a caller's, until Take
	// hands them out.
	c Change
}

// Add merges c into the pending change, at the cost of c's size: during
// the caches' first fill thousands of events arrive, and copying the
// whole pending change for each (Merge) made the fill quadratic. c's maps
// are read, not kept.
func (p *Pending) Add(c Change) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.c.add(c)
}

// Take returns the pending change and leaves nothing pending. The change
// is the caller's from then on.
func (p *Pending) Take() Change {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.c
	p.c = Change{}
	return c
}
