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

// sink keeps the burst reachable until the test drops it.
var sink [][]byte

// TestTickReturnsABurstsGarbage: after a burst of allocation becomes
// garbage, a quiet tick gives the freed memory back to the system.
func TestTickReturnsABurstsGarbage(t *testing.T) {
	r := &Returner{QuietBytes: 4 << 20, MinFree: 32 << 20}
	runtime.GC()
	// No collection during the burst: the last one saw none of it live, as
	// after a mass connect whose garbage no collection has met yet.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range 128 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	before := readHeap().free
	if before < 100<<20 {
		t.Fatalf("%d bytes reclaimable after a 128 MiB burst; the reading misses the garbage", before)
	}
	r.Tick() // the first reading only starts the interval
	if !r.Tick() {
		t.Fatalf("a quiet tick with %d MiB free did not return it", before>>20)
	}
	if after := readHeap().free; after >= before/2 {
		t.Errorf("reclaimable mapped heap went from %d to %d bytes; want most of it returned", before, after)
	}
	if released := heapReleased(); released < 64<<20 {
		t.Errorf("%d bytes released to the system after the tick; want the 128 MiB burst's most", released)
	}
}
