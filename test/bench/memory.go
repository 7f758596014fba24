package bench

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"sort"
	"strings"
	"sync"
	"time"
)

// Memory is the process's memory: the control plane and the simulated
// proxies share it.
type Memory struct {
	// PeakLive is the largest live heap (what the last collection found
	// reachable, runtime/metrics /gc/heap/live:bytes); PeakHeapInuse and
	// PeakHeapAlloc also count garbage not yet collected.
	PeakLive                     uint64
	PeakHeapInuse, PeakHeapAlloc uint64
	// Steady figures are read after convergence with the mesh idle.
	SteadyHeapInuse, SteadyHeapAlloc uint64
	// LiveHeap is HeapAlloc right after a forced collection; LiveProxies
	// is the part of it allocated by the simulated proxies and the
	// harness (allocation stacks through test/bench or gRPC's client
	// transport), estimated from the heap profile.
	LiveHeap, LiveProxies uint64
	// RSS and HWM are the control-plane process's VmRSS (steady) and
	// VmHWM (peak); BenchRSS and BenchHWM the bench process's (simulated
	// proxies and harness), beside them.
	RSS, HWM           uint64
	BenchRSS, BenchHWM uint64
	// BeforeControlPlane is the bench process's HeapInuse with the mesh
	// created and the control plane not started: the harness's own share.
	BeforeControlPlane uint64
	// Classes is the runtime's account of the memory it has mapped,
	// read with the steady heap (after the forced collections): what of
	// the RSS is live objects, freed but still mapped, stacks, and the
	// runtime's own.
	Classes []MemoryClass
	// Holders are the functions that allocated most of the steady live
	// heap (from the heap profile, by the nearest frame in sailplane,
	// go-control-plane, client-go, controller-runtime or gRPC).
	Holders []Holder
}

// MemoryClass is one of runtime/metrics' /memory/classes.
type MemoryClass struct {
	Name  string
	Bytes uint64
}

// memoryClasses are the classes that make up the mapped memory (their
// sum is /memory/classes/total); released heap is mapped but not
// resident, so it is left out of what the RSS holds.
var memoryClasses = []string{
	"heap/objects", "heap/unused", "heap/free", "heap/stacks", "os-stacks",
	"metadata/mspan/inuse", "metadata/mcache/inuse", "metadata/other", "profiling/buckets", "other",
}

func readMemoryClasses() []MemoryClass {
	samples := make([]metrics.Sample, len(memoryClasses))
	for i, c := range memoryClasses {
		samples[i].Name = "/memory/classes/" + c + ":bytes"
	}
	metrics.Read(samples)
	out := make([]MemoryClass, 0, len(samples))
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			out = append(out, MemoryClass{Name: memoryClasses[i], Bytes: s.Value.Uint64()})
		}
	}
	return out
}

// Holder is live heap attributed to the function that allocated it.
type Holder struct {
	Func  string
	Bytes uint64
}

// memoryWatch samples the heap every 200ms for its peak and stops the run
// when the process's RSS passes the limit: a control plane that grows
// without bound must not take a shared machine down with it.
type memoryWatch struct {
	mu    sync.Mutex
	peak  Memory
	limit uint64
	abort context.CancelCauseFunc
	stop  chan struct{}
}

func watchMemory(limit uint64, abort context.CancelCauseFunc) *memoryWatch {
	w := &memoryWatch{limit: limit, abort: abort, stop: make(chan struct{})}
	go w.loop()
	return w
}

func (w *memoryWatch) loop() {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.sample()
		}
	}
}

func (w *memoryWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	rss := procStatus("/proc/self/status", "VmRSS")["VmRSS"]
	w.mu.Lock()
	if live[0].Value.Kind() == metrics.KindUint64 {
		w.peak.PeakLive = max(w.peak.PeakLive, live[0].Value.Uint64())
	}
	w.peak.PeakHeapInuse = max(w.peak.PeakHeapInuse, ms.HeapInuse)
	w.peak.PeakHeapAlloc = max(w.peak.PeakHeapAlloc, ms.HeapAlloc)
	w.mu.Unlock()
	if w.limit > 0 && rss > w.limit {
		w.abort(fmt.Errorf("aborted: the process's RSS reached %s, over --max-rss %s", mib(rss), mib(w.limit)))
	}
}

func (w *memoryWatch) peaks() Memory {
	w.sample()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

func (w *memoryWatch) close() { close(w.stop) }

// steadyMemory reads the idle heap, then the live heap after a collection
// and the proxies' share of it.
func steadyMemory(m *Memory) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.SteadyHeapInuse, m.SteadyHeapAlloc = ms.HeapInuse, ms.HeapAlloc
	// The heap profile lags by up to two collections.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	m.LiveHeap = ms.HeapAlloc
	m.Classes = readMemoryClasses()
	m.LiveProxies = proxiesHeap()
	m.Holders = heapHolders(10)
	st := procStatus("/proc/self/status", "VmRSS", "VmHWM")
	m.RSS, m.HWM = st["VmRSS"], st["VmHWM"]
}

// liveRecords reads the sampled heap profile; each record's in-use bytes
// are unbiased the way pprof does it.
func liveRecords() (recs []runtime.MemProfileRecord, bytes []float64) {
	n, _ := runtime.MemProfile(nil, false)
	all := make([]runtime.MemProfileRecord, n+64)
	n, ok := runtime.MemProfile(all, false)
	if !ok {
		return nil, nil
	}
	rate := float64(runtime.MemProfileRate)
	for _, r := range all[:n] {
		if r.InUseObjects() == 0 {
			continue
		}
		avg := float64(r.AllocBytes) / float64(r.AllocObjects)
		recs = append(recs, r)
		bytes = append(bytes, float64(r.InUseBytes())/(1-math.Exp(-avg/rate)))
	}
	return recs, bytes
}

// proxiesHeap estimates the live bytes allocated on the simulated
// proxies' side.
func proxiesHeap() uint64 {
	recs, bytes := liveRecords()
	var total float64
	for i, r := range recs {
		if proxySide(r.Stack()) {
			total += bytes[i]
		}
	}
	return uint64(total)
}

// holderPackages name the code whose allocations the heap is attributed
// to, gRPC last: its codec allocates what the code above it keeps.
var holderPackages = []string{"sailplane/sailplane/", "go-control-plane/pkg/", "k8s.io/client-go/", "sigs.k8s.io/controller-runtime/"}

// proxiesHolder is the harness's and the simulated proxies' share.
const proxiesHolder = "simulated proxies and harness (test/bench)"

// heapHolders lists the n functions holding the most live heap.
func heapHolders(n int) []Holder {
	recs, bytes := liveRecords()
	by := map[string]float64{}
	for i, r := range recs {
		by[holderOf(r.Stack())] += bytes[i]
	}
	out := make([]Holder, 0, len(by))
	for f, b := range by {
		out = append(out, Holder{Func: f, Bytes: uint64(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bytes > out[j].Bytes })
	return out[:min(n, len(out))]
}

// holderOf names the nearest control-plane function that allocated, or
// the proxies' share, or gRPC's.
func holderOf(stack []uintptr) string {
	if proxySide(stack) {
		return proxiesHolder
	}
	grpc := ""
	frames := runtime.CallersFrames(stack)
	for {
		f, more := frames.Next()
		for _, p := range holderPackages {
			if strings.Contains(f.Function, p) {
				return f.Function
			}
		}
		if grpc == "" && strings.Contains(f.Function, "google.golang.org/grpc") {
			grpc = f.Function
		}
		if !more {
			break
		}
	}
	if grpc != "" {
		return grpc
	}
	return "other"
}

func proxySide(stack []uintptr) bool {
	if inControlPlaneProcess {
		return false
	}
	frames := runtime.CallersFrames(stack)
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, "sailplane/test/bench.") || strings.Contains(f.Function, "transport.(*http2Client)") {
			return true
		}
		if !more {
			return false
		}
	}
}
