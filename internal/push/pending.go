package push

import "sync"

// Pending is the change not yet taken by a reconcile. Event handlers Add
// to it from the informers' goroutines; the reconcile Takes it. Like
// Istio's debounce, a burst of events becomes one change, and the
// workqueue's one key makes it one reconcile.
type Pending struct {
	mu sync.Mutex
	c  Change
}

// Add merges c into the pending change.
func (p *Pending) Add(c Change) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.c = p.c.Merge(c)
}

// Take returns the pending change and leaves nothing pending.
func (p *Pending) Take() Change {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.c
	p.c = Change{}
	return c
}
