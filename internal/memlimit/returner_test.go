package memlimit

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func heapReleased() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func TestReturnerWaitsForQuietAndEnoughFree(t *testing.T) {
	r := &Returner{QuietBytes: 10, MinFree: 100}
	steps := []struct {
		h    heapStats
		want bool
		why  string
	}{
		{heapStats{allocs: 1000, free: 500}, false, "first reading: no interval to judge yet"},
		{heapStats{allocs: 5000, free: 500}, false, "allocating: a burst is under way"},
		{heapStats{allocs: 5005, free: 50}, false, "quiet, but too little free to be worth a collection"},
		{heapStats{allocs: 5010, free: 500}, true, "quiet, and enough free"},
	}
	for _, s := range steps {
		if got := r.due(s.h); got != s.want {
			t.Errorf("%+v: due %v, want %v (%s)", s.h, got, s.want, s.why)
		}
	}
}

// TestReturnerWaitsForANewBurst: once memory was returned, quiet intervals
// with free memory (say, a heap that cannot shrink further) do not start
// another collection; a new burst's worth of allocation does.
func TestReturnerWaitsForANewBurst(t *testing.T) {
	r := &Returner{QuietBytes: 10, MinFree: 100, lastAllocs: 5000, returnedAt: 5000, cyclesAt: 7}
	steps := []struct {
		h    heapStats
		want bool
		why  string
	}{
		{heapStats{allocs: 5005, free: 500, live: 40, cycles: 7}, false, "quiet and free, but nothing allocated or collected since the return"},
		{heapStats{allocs: 5050, free: 500, live: 40, cycles: 7}, false, "still less than MinFree allocated since the return"},
		{heapStats{allocs: 9000, free: 500, live: 40, cycles: 7}, false, "a new burst, still under way"},
		{heapStats{allocs: 9005, free: 500, live: 40, cycles: 7}, true, "the burst is over and its garbage is mapped"},
	}
	for _, s := range steps {
		if got := r.due(s.h); got != s.want {
			t.Errorf("%+v: due %v, want %v (%s)", s.h, got, s.want, s.why)
		}
	}
	// A collection since the return may have found what was dropped
	// without allocating.
	r = &Returner{QuietBytes: 10, MinFree: 100, lastAllocs: 5000, returnedAt: 5000, cyclesAt: 7}
	if !r.due(heapStats{allocs: 5005, free: 500, live: 40, cycles: 8}) {
		t.Error("a collection since the return freed 500 bytes: not due, want due")
	}
	// A large live heap needs half of it allocated since the last return:
	// returning more often would collect it more often than GOGC does.
	r = &Returner{QuietBytes: 10, MinFree: 100, lastAllocs: 5300, returnedAt: 5000, cyclesAt: 7}
	if r.due(heapStats{allocs: 5305, free: 500, live: 1000, cycles: 7}) {
		t.Error("305 bytes allocated since the return of a 1000-byte live heap: due, want not before 500")
	}
	r.lastAllocs = 5500
	if !r.due(heapStats{allocs: 5505, free: 500, live: 1000, cycles: 7}) {
		t.Error("505 bytes allocated since the return of a 1000-byte live heap: not due, want due")
	}
}

// sink keeps the burst reachable until the test drops it.
var sink [][]byte

// burst allocates mib MiB with no collection in between and drops it: the
// last collection saw none of it live, as after a mass connect whose
// garbage no collection has met yet.
func burst(mib int) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range mib {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
}

// TestTickReturnsABurstsGarbage: after a burst of allocation becomes
// garbage, a quiet tick gives the freed memory back to the system, and
// the next quiet ticks do nothing until another burst.
func TestTickReturnsABurstsGarbage(t *testing.T) {
	r := &Returner{QuietBytes: 4 << 20, MinFree: 32 << 20}
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	burst(128)
	before := r.read().free
	if before < 100<<20 {
		t.Fatalf("%d bytes reclaimable after a 128 MiB burst; the reading misses the garbage", before)
	}
	r.Tick() // the first reading only starts the interval
	if !r.Tick() {
		t.Fatalf("a quiet tick with %d MiB free did not return it", before>>20)
	}
	if after := r.read().free; after >= before/2 {
		t.Errorf("reclaimable mapped heap went from %d to %d bytes; want most of it returned", before, after)
	}
	if released := heapReleased(); released < 64<<20 {
		t.Errorf("%d bytes released to the system after the tick; want the 128 MiB burst's most", released)
	}
	for i := range 3 {
		if r.Tick() {
			t.Fatalf("quiet tick %d after the return collected again with no new burst", i+1)
		}
	}
	burst(128)
	r.Tick() // the interval that saw the burst is not quiet
	if !r.Tick() {
		t.Error("a second burst's garbage was not returned")
	}
}

// fragments keeps every other small object of a burst live, so the heap's
// spans stay in use with half their slots empty.
var fragments [][]byte

// TestTickIgnoresFragmentation: the empty slots of spans that still hold
// live objects are not memory a return can give back, so a quiet process
// with a fragmented heap is not collected for them.
func TestTickIgnoresFragmentation(t *testing.T) {
	defer func() { fragments = nil }()
	// No collection while allocating, or the dropped halves' slots would
	// be filled again.
	gc := debug.SetGCPercent(-1)
	for i := range 1 << 16 {
		b := make([]byte, 1024)
		if i%2 == 0 {
			fragments = append(fragments, b)
		}
	}
	debug.SetGCPercent(gc)
	debug.FreeOSMemory()
	unused := heapUnused()
	if unused < 16<<20 {
		t.Fatalf("only %d bytes of empty slots in used spans; the test needs a fragmented heap", unused)
	}
	r := &Returner{QuietBytes: 4 << 20, MinFree: 16 << 20}
	r.Tick()
	if r.Tick() {
		t.Errorf("a quiet tick collected a heap whose only free memory is %d MiB of fragmentation", unused>>20)
	}
}

func heapUnused() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/unused:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// keep holds memory live until the test drops it.
var keep [][]byte

// TestTickReturnsWhatACollectionFreed: memory dropped without allocating
// anything (a large structure released while idle) is returned once a
// collection has found it, with no new burst.
func TestTickReturnsWhatACollectionFreed(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 128 {
		keep = append(keep, make([]byte, 1<<20))
	}
	r := &Returner{QuietBytes: 4 << 20, MinFree: 32 << 20}
	debug.FreeOSMemory()
	r.Tick()
	r.Tick() // whatever was free is returned; the 128 MiB is live
	if r.Tick() {
		t.Fatal("a third quiet tick with nothing new collected again")
	}
	keep = nil
	if r.Tick() {
		t.Fatal("collected before any collection found the dropped memory (nothing says it is free)")
	}
	runtime.GC() // the runtime's own, or its two-minute forced one
	if !r.Tick() {
		t.Errorf("the 128 MiB a collection freed was not returned (%d MiB free)", r.read().free>>20)
	}
}

// TestHeapMetricsExist: runtime/metrics answers an unknown name with no
// value rather than an error, and the returner read 0 collections for
// a misspelt name (a collection's freed memory then waited for the next
// burst). Every name it reads must be one the runtime serves.
func TestHeapMetricsExist(t *testing.T) {
	known := map[string]bool{}
	for _, d := range metrics.All() {
		known[d.Name] = true
	}
	for _, n := range heapMetrics {
		if !known[n] {
			t.Errorf("runtime/metrics has no %s", n)
		}
	}
}
