package ca

import (
	"context"
	"sync"
	"sync/atomic"
)

// Holder is the CA every signer uses now. The CA controller replaces it
// when the Secrets change; subscribers (certificate re-issue, the
// root-certificate publisher) hear of each real change.
type Holder struct {
	current atomic.Pointer[CA]

	mu    sync.Mutex
	subs  []func()
	ready chan struct{} // closed by the first Set
}

// NewHolder returns an empty Holder; Current is nil until the first Set.
func NewHolder() *Holder {
	return &Holder{ready: make(chan struct{})}
}

// Current is the CA in use, or nil before the first load.
func (h *Holder) Current() *CA {
	return h.current.Load()
}

// Set makes c current. Subscribers are called, synchronously and in the
// order they subscribed, only when c differs from the CA it replaces, so a
// resync that reloads the same Secret re-issues nothing.
func (h *Holder) Set(c *CA) {
	if c == nil {
		return
	}
	h.mu.Lock()
	old := h.current.Swap(c)
	subs := append([]func(){}, h.subs...)
	if old == nil {
		close(h.ready)
	}
	h.mu.Unlock()
	if old != nil && old.Equal(c) {
		return
	}
	for _, f := range subs {
		f()
	}
}

// OnChange subscribes f to every change of the current CA. f must not
// block: it runs on the caller of Set.
func (h *Holder) OnChange(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs = append(h.subs, f)
}

// Wait blocks until a CA is set or ctx ends, for servers that cannot
// serve TLS without one.
func (h *Holder) Wait(ctx context.Context) (*CA, error) {
	select {
	case <-h.ready:
		return h.Current(), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
