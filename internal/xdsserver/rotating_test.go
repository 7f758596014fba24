package xdsserver

import (
	"sync"
	"testing"
)

// A value is built once for concurrent callers, kept while asked for,
// let go after a generation nobody asked for it, and past the bound not
// cached at all.
func TestRotatingCacheKeepsWhatIsAskedFor(t *testing.T) {
	r := newRotating[string](100, func(v int) int { return v })
	builds := 0
	var mu sync.Mutex
	build := func() int { mu.Lock(); builds++; mu.Unlock(); return 60 }
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v, ok := r.get("a", build); !ok || v != 60 {
				t.Errorf("get = %d, %v", v, ok)
			}
		})
	}
	wg.Wait()
	if builds != 1 {
		t.Fatalf("built %d times for concurrent callers, want once", builds)
	}
	r.rotate()
	r.get("a", build) // asked for in the new generation: kept
	r.rotate()
	r.rotate() // a whole generation without it
	if _, ok := r.get("a", build); !ok || builds != 2 {
		t.Errorf("after a generation unasked the value must be built again (builds %d)", builds)
	}
	r.get("b", build) // 120 bytes now: over the bound
	if _, ok := r.get("c", build); ok {
		t.Error("past its bound the cache must not take a new key")
	}
}

// A rotation while a value is being built does not read it: the build
// counts it when it is done.
func TestRotatingCacheRotatesDuringABuild(t *testing.T) {
	r := newRotating[string](100, func(v *int) int { return *v })
	building, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.get("a", func() *int { close(building); <-release; n := 10; return &n })
	}()
	<-building
	r.rotate() // must not read the value not built yet
	close(release)
	<-done
	if r.bytes != 10 {
		t.Errorf("the cache counts %d bytes, want the built value's 10", r.bytes)
	}
}
