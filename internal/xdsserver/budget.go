package xdsserver

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"google.golang.org/grpc/mem"
)

// When thousands of proxies connect at once (a control plane restart, a
// node pool coming up), every stream is answered at the same moment, and
// each answer is encoded before gRPC queues it for the wire: memory then
// holds proxies × configuration size at once, which at 4000 services and
// 2000 proxies is over 8 GiB. The push budget bounds the bytes of large
// responses encoded but not yet written: a stream waits for room before it
// encodes, and the room comes back when gRPC has written the bytes and
// returns the buffer. Streams are answered at the rate the wire takes them.
//
// The wait is bounded: a proxy that stops reading keeps its response queued
// (and its share of the budget) until its connection goes, so after
// pushWait a stream sends anyway. The budget can be overrun then, never
// deadlocked.
const (
	// DefaultPushBudget is the bytes of large responses in flight at once.
	DefaultPushBudget = 256 << 20
	// pushWait is the longest a stream waits for room.
	pushWait = 5 * time.Second
	// budgetFrom is the size from which a response counts against the
	// budget: the small ones (a changed load assignment) pass freely.
	budgetFrom = 64 << 10
)

// pushBudget is the byte budget shared by every stream.
type pushBudget struct {
	sem  *semaphore.Weighted
	size int64
	wait time.Duration
}

func newPushBudget(size int64, wait time.Duration) *pushBudget {
	if size <= 0 {
		return nil // unbounded
	}
	return &pushBudget{sem: semaphore.NewWeighted(size), size: size, wait: wait}
}

// take reserves room for n bytes and returns the function that gives it
// back (once, however often it is called).
func (b *pushBudget) take(n int) func() {
	if b == nil || n < budgetFrom {
		return func() {}
	}
	w := min(int64(n), b.size)
	ctx, cancel := context.WithTimeout(context.Background(), b.wait)
	defer cancel()
	if b.sem.Acquire(ctx, w) != nil {
		return func() {} // waited long enough: send without room
	}
	var once sync.Once
	return func() { once.Do(func() { b.sem.Release(w) }) }
}

// releasingPool is gRPC's buffer pool for one encoded response: when gRPC
// returns the buffer (the bytes are on the wire, or the stream is gone),
// the response's room in the budget is given back.
type releasingPool struct {
	mem.BufferPool
	release func()
}

func (p releasingPool) Put(b *[]byte) {
	p.BufferPool.Put(b)
	p.release()
}
