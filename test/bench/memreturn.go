package bench

import (
	"time"

	"github.com/sailplane/sailplane/internal/manager"
)

// The control plane gives a burst's freed memory back once its heap has
// been quiet for an interval (internal/memlimit), which at the end of a
// start-up is a full collection of a large heap. That is the start-up's
// tail, not idling: the idle window starts after it, and what it cost is
// a phase of its own ("memory return").

// returnWait bounds the wait: the returner needs one quiet interval (5 s)
// after the last burst, and ticks every interval. The steady reading
// itself allocates (it reads the heap profile twice, tens of MiB), so the
// interval it falls in is not quiet: three intervals and a second.
const returnWait = 16 * time.Second

// MemoryReturn is the wait for the start-up's memory to be returned.
type MemoryReturn struct {
	// Returned says whether a return happened in the wait; After is how
	// long the wait took.
	Returned bool
	After    time.Duration
	// Returns is the returns since the control plane started, at the end
	// of the wait.
	Returns int
	CPU     CPUPhase
}

// awaitReturn waits until the control plane has returned memory, for at
// most returnWait.
func (r *Run) awaitReturn() {
	cpu := r.cp.startPhaseCPU("memory return", r.cfg.CPUProfile)
	start := time.Now()
	m := &r.res.Return
	m.Returned = r.cp.awaitReturns(r.cp.Returns(), returnWait)
	m.Returns = r.cp.Returns()
	m.After, m.CPU = time.Since(start), cpu.stop()
}

// awaitReturns waits until the control plane's returns pass before, for
// at most d; it reports whether they did.
func (p *ControlPlaneProcess) awaitReturns(before int, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		if p.Returns() > before {
			return true
		}
	}
	return false
}

// memoryReturns reads the control plane's count of returns without
// gathering the metrics registry (which allocates enough, polled every
// 250 ms, to keep the returner from ever finding the heap quiet).
func memoryReturns() int { return manager.MemoryReturns() }
