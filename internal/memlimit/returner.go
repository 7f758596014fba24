package memlimit

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// After a burst (a mass connect, a full reconcile at scale) the collector
// frees the burst's garbage, but the runtime keeps the freed pages mapped
// and hands them back to the system only gradually, down to about its
// next heap goal (twice the live heap): the RSS an operator sees stays
// near the burst's peak for minutes. The returner watches for the end of
// a burst (the heap has stopped growing: little was allocated over one
// interval) while a large amount of freed memory is still mapped, and
// then returns it all at once (debug.FreeOSMemory: one collection, then
// the free pages are released). At steady state the control plane hardly
// allocates, so the memory stays returned until the next burst.

// Returner decides when to return freed memory.
type Returner struct {
	// QuietBytes is the most the heap may allocate over one interval for
	// the process to count as quiet.
	QuietBytes uint64
	// MinFree is the freed-but-mapped memory worth returning; below it a
	// forced collection costs more than it gives back.
	MinFree uint64

	lastAllocs uint64
}

// DefaultReturner returns 64 MiB or more once less than 16 MiB was
// allocated over an interval.
func DefaultReturner() *Returner {
	return &Returner{QuietBytes: 16 << 20, MinFree: 64 << 20}
}

// heapStats is what one decision reads from runtime/metrics.
type heapStats struct {
	// allocs is the bytes allocated since the process started.
	allocs uint64
	// free is heap memory still mapped that a collection and a release
	// would give back: free and unused spans, and the objects the last
	// collection did not find live (garbage, or allocated since; a quiet
	// process allocates little, so it is garbage).
	free uint64
}

func readHeap() heapStats {
	s := []metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	metrics.Read(s)
	v := make([]uint64, len(s))
	for i, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			v[i] = x.Value.Uint64()
		}
	}
	h := heapStats{allocs: v[0], free: v[1] + v[2]}
	if v[3] > v[4] {
		h.free += v[3] - v[4]
	}
	return h
}

// due is the decision on one reading: the process is quiet since the
// last reading and holds enough free memory.
func (r *Returner) due(h heapStats) bool {
	quiet := r.lastAllocs != 0 && h.allocs-r.lastAllocs <= r.QuietBytes
	r.lastAllocs = h.allocs
	return quiet && h.free >= r.MinFree
}

// Tick reads the heap and returns freed memory if it is due; it reports
// whether it did.
func (r *Returner) Tick() bool {
	if !r.due(readHeap()) {
		return false
	}
	debug.FreeOSMemory()
	// The forced collection allocates little, but start the next interval
	// from after it.
	r.lastAllocs = readHeap().allocs
	return true
}

// Run ticks every interval until ctx ends. It implements controller-
// runtime's Runnable through manager.RunnableFunc at the caller.
func (r *Returner) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.Tick()
		}
	}
}
