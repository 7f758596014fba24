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
// the free pages are released).
//
// A return is a full collection, which costs about what marking the live
// heap costs (hundreds of milliseconds of CPU at a large mesh). So it is
// made only when memory can have been freed since the last one: the
// process has allocated a burst's worth, or a collection has run (the
// runtime's own, or the one it forces every two minutes, may find what
// was dropped without allocating). An idle process then costs one read of
// a few runtime counters per interval.

// Returner decides when to return freed memory.
type Returner struct {
	// QuietBytes is the most the heap may allocate over one interval for
	// the process to count as quiet.
	QuietBytes uint64
	// MinFree is the freed-but-mapped memory worth returning; below it a
	// forced collection costs more than it gives back. It is also the
	// least a burst allocates (see burst).
	MinFree uint64

	lastAllocs uint64
	// returnedAt is the bytes allocated since start right after the last
	// return (0: none yet), and cyclesAt the collections completed then.
	returnedAt, cyclesAt uint64
	samples              []metrics.Sample
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
	// live is what the last collection found reachable.
	live uint64
	// cycles is the collections completed since the process started.
	cycles uint64
	// free is heap memory still mapped that a collection and a release
	// would give back: whole free spans, and the objects the last
	// collection did not find live (garbage, or allocated since; a quiet
	// process allocates little, so it is garbage). The unused slots of
	// spans that still hold live objects are not counted: no return can
	// give those back, and counting them made a fragmented heap look
	// returnable on every quiet interval.
	free uint64
}

var heapMetrics = []string{
	"/gc/heap/allocs:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/objects:bytes",
	"/gc/heap/live:bytes",
	"/gc/cycles/total:gc-cycles",
}

// read takes one reading; the samples are reused, so an idle tick
// allocates nothing.
func (r *Returner) read() heapStats {
	if r.samples == nil {
		r.samples = make([]metrics.Sample, len(heapMetrics))
		for i, n := range heapMetrics {
			r.samples[i].Name = n
		}
	}
	metrics.Read(r.samples)
	var v [5]uint64
	for i, x := range r.samples {
		if x.Value.Kind() == metrics.KindUint64 {
			v[i] = x.Value.Uint64()
		}
	}
	h := heapStats{allocs: v[0], free: v[1], live: v[3], cycles: v[4]}
	if v[2] > v[3] {
		h.free += v[2] - v[3]
	}
	return h
}

// burst is how much the process must allocate after a return before the
// next one: at least MinFree, and at least half the live heap, so that a
// process allocating slowly is not collected much more often than the
// runtime would collect it anyway (GOGC=100 collects once the heap has
// grown by the live heap).
func (r *Returner) burst(h heapStats) uint64 { return max(r.MinFree, h.live/2) }

// due is the decision on one reading: memory can have been freed since
// the last return (a burst was allocated, or a collection ran), the
// process is quiet since the last reading and it holds enough free
// memory.
func (r *Returner) due(h heapStats) bool {
	quiet := r.lastAllocs != 0 && h.allocs-r.lastAllocs <= r.QuietBytes
	r.lastAllocs = h.allocs
	freed := h.allocs-r.returnedAt >= r.burst(h) || h.cycles > r.cyclesAt
	return quiet && freed && h.free >= r.MinFree
}

// Tick reads the heap and returns freed memory if it is due; it reports
// whether it did.
func (r *Returner) Tick() bool {
	if !r.due(r.read()) {
		return false
	}
	debug.FreeOSMemory()
	// The next interval, the next burst and the next collection count
	// from after the return (whose own collection is among the cycles).
	h := r.read()
	r.lastAllocs, r.returnedAt, r.cyclesAt = h.allocs, h.allocs, h.cycles
	return true
}

// Run ticks every interval until ctx ends, calling returned (if not nil)
// after each return. It implements controller-runtime's Runnable through
// the caller.
func (r *Returner) Run(ctx context.Context, interval time.Duration, returned func()) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if r.Tick() && returned != nil {
				returned()
			}
		}
	}
}
