// Package bufpool holds a gRPC buffer pool that skips clearing.
package bufpool

import (
	"math/bits"
	"sync"

	"google.golang.org/grpc/mem"
)

// Pool is a gRPC buffer pool that does not clear the buffers it hands
// out. gRPC's default pool clears a buffer's whole capacity on every Get:
// a state-of-the-world ACK of 1635 load assignment names is some 80 KiB,
// which the default pool serves from its 1 MiB tier, so every such ACK
// cleared 1 MiB (2000 proxies ACK every change). Every user of this pool
// overwrites what it reads: gRPC reads a frame's payload with io.ReadFull
// into exactly the length it asked for, MaterializeToBuffer copies
// exactly the message's bytes, and xdsserver's encode writes the whole
// response it sized. So stale bytes are never read, and nothing from this
// pool reaches a peer beyond what was written. Anyone using it must keep
// to that: never read a byte it has not written.
type Pool struct {
	tiers [dirtyTiers]sync.Pool
}

const (
	// dirtyMinShift is the smallest tier (4 KiB); smaller requests take it.
	dirtyMinShift = 12
	// dirtyTiers reach 4 MiB; larger buffers are allocated and dropped.
	dirtyTiers = 11
)

// Dirty is the process's pool.
var Dirty = &Pool{}

// tier is the index of the smallest tier holding size bytes, or -1 past
// the largest.
func tier(size int) int {
	if size <= 1<<dirtyMinShift {
		return 0
	}
	t := bits.Len(uint(size-1)) - dirtyMinShift
	if t >= dirtyTiers {
		return -1
	}
	return t
}

// Get returns a buffer of length size whose contents are unspecified.
func (p *Pool) Get(size int) *[]byte {
	t := tier(size)
	if t < 0 {
		b := make([]byte, size)
		return &b
	}
	if b, ok := p.tiers[t].Get().(*[]byte); ok {
		*b = (*b)[:size]
		return b
	}
	b := make([]byte, size, 1<<(t+dirtyMinShift))
	return &b
}

// Put takes back a buffer Get gave (or any buffer whose capacity is
// exactly one tier's).
func (p *Pool) Put(b *[]byte) {
	c := cap(*b)
	t := tier(c)
	if t < 0 || c != 1<<(t+dirtyMinShift) {
		return
	}
	p.tiers[t].Put(b)
}

var _ mem.BufferPool = (*Pool)(nil)
