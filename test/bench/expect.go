package bench

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"
)

// expectation waits for a change to reach the proxies it affects: each
// one's ACK of a set that passes test is recorded with its delay from the
// moment the change was written.
type expectation struct {
	typ  int
	test func(*typeState) bool

	mu       sync.Mutex
	start    time.Time
	memo     map[*typeState]bool
	waiting  map[*proxy]bool
	affected int
	acks     []time.Duration
	done     chan struct{}
}

// Expect registers an expectation before the change is written. The
// affected proxies are those whose current set of type typ passes
// affected; the change has reached a proxy when it ACKs a set that passes
// test. Call Begin right before writing the change.
func (f *Fleet) Expect(typ int, affected, test func(*typeState) bool) *expectation {
	e := &expectation{typ: typ, test: test, memo: map[*typeState]bool{}, waiting: map[*proxy]bool{}, done: make(chan struct{})}
	hit := map[*typeState]bool{}
	for _, p := range f.proxies {
		st := p.get()[typ]
		if st == nil {
			continue
		}
		ok, seen := hit[st]
		if !seen {
			ok = affected(st)
			hit[st] = ok
		}
		if ok {
			e.waiting[p] = true
		}
	}
	e.affected = len(e.waiting)
	e.start = time.Now()
	if e.affected == 0 {
		close(e.done)
	}
	f.expect.Store(e)
	return e
}

// Begin marks the moment the change is written.
func (e *expectation) Begin() {
	e.mu.Lock()
	e.start = time.Now()
	e.mu.Unlock()
}

func (e *expectation) see(p *proxy, st *typeState, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.waiting[p] {
		return
	}
	ok, seen := e.memo[st]
	if !seen {
		ok = e.test(st)
		e.memo[st] = ok
	}
	if !ok {
		return
	}
	delete(e.waiting, p)
	e.acks = append(e.acks, at.Sub(e.start))
	if len(e.waiting) == 0 {
		close(e.done)
	}
}

// Outcome is how one change reached the proxies.
type Outcome struct {
	Affected int
	// All is the time until the last affected proxy ACKed.
	All time.Duration
	// PerProxy are every affected proxy's delays.
	PerProxy []time.Duration
	// Missing proxies had not ACKed when the wait gave up.
	Missing int
}

// Wait waits for every affected proxy, then clears the expectation.
func (f *Fleet) Wait(ctx context.Context, e *expectation, timeout time.Duration) (Outcome, error) {
	var err error
	select {
	case <-e.done:
	case <-ctx.Done():
		err = context.Cause(ctx)
	case <-time.After(timeout):
		err = fmt.Errorf("timed out after %s", timeout)
	}
	f.expect.CompareAndSwap(e, nil)
	e.mu.Lock()
	defer e.mu.Unlock()
	o := Outcome{Affected: e.affected, PerProxy: append([]time.Duration(nil), e.acks...), Missing: len(e.waiting)}
	for _, d := range e.acks {
		o.All = max(o.All, d)
	}
	if err != nil {
		err = fmt.Errorf("%d of %d affected proxies had not ACKed: %w", o.Missing, o.Affected, err)
	}
	return o, err
}

// contains tests whether the named resource holds marker (or, with
// present false, that it exists and does not).
func contains(name string, marker []byte, present bool) func(*typeState) bool {
	return func(st *typeState) bool {
		e := st.entries[name]
		return e != nil && bytes.Contains(e.raw, marker) == present
	}
}

// addressMarker is how an endpoint address appears on the wire: the
// SocketAddress.address field (2, length-delimited), so 10.0.0.1 does not
// match inside 10.0.0.12.
func addressMarker(ip string) []byte {
	return append([]byte{2<<3 | 2, byte(len(ip))}, ip...)
}
