package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"
)

// CPUPhase is the CPU spent during one phase of the run.
type CPUPhase struct {
	Name string
	Wall time.Duration
	// Process is the control-plane process's CPU time (its /proc/PID/stat).
	Process time.Duration
	// Bench is the bench process's: the simulated proxies and the harness.
	Bench time.Duration
	// ByRole splits the profiled CPU time by profiler label:
	// control-plane, proxies, harness, runtime (unlabelled: mostly the
	// garbage collector's background workers).
	ByRole map[string]time.Duration
	// Top are the control plane's functions with the most cumulative time
	// (sailplane's own and go-control-plane's), and TopFlat the ones with
	// the most time in themselves.
	Top, TopFlat []FuncCost
	// Watched is the cumulative time of the control plane's stages that the
	// targets' explanations cite (see watchedFuncs).
	Watched map[string]time.Duration
	// Profile is the file the phase's profile was written to, if asked.
	Profile string
	// HWM is the control-plane process's VmHWM at the phase's end.
	HWM uint64
	// Allocated is what the profiled process's heap allocated in the
	// phase (runtime/metrics /gc/heap/allocs): how quiet an idle phase is.
	Allocated uint64
}

// The stages of a reconcile, by function.
const (
	fnReconcile = "controllers.(*MeshReconciler).Reconcile"
	fnCollect   = "controllers.Collect"
	fnCompute   = "internal/mesh.Compute"
	// Compute's translations of outbound and inbound halves, on goroutines
	// of their own (their stacks do not hold Compute).
	fnHalvesOut = "internal/mesh.(*translations).sidecarHalves.func1"
	fnHalvesIn  = "internal/mesh.(*translations).sidecarHalves.func2"
	fnEndpoints = "internal/mesh.ComputeEndpoints"
	// The rules path (a VirtualService or DestinationRule change) and the
	// pods path (pods and EndpointSlices: the controller's call of
	// mesh.ComputePodsSince, or of mesh.ComputeSlicesSince for slices
	// alone), which replace Compute for them.
	fnRulesSince = "internal/mesh.ComputeRulesSince"
	fnPodsSince  = "controllers.podsSince"
	// fnWire is TLS writing the responses gRPC flushes: the bytes' cost,
	// on gRPC's writer goroutines rather than the streams'.
	fnWire      = "internal/xdsserver.(*batchingConn).Write"
	fnPublish   = "controllers.(*MeshReconciler).publish"
	fnSnapshot  = "internal/xdsserver.(*Builder).Snapshot"
	fnSotW      = "internal/xdsserver.(*port).serveSotW"
	fnDelta     = "internal/xdsserver.(*port).serveDelta"
	fnStatus    = "controllers.(*StatusWriter).Start"
	fnMarshal   = "internal/xdsserver.(*Builder).item"
	fnEncode    = "internal/xdsserver.(*encodings).get"
	fnDeltaDiff = "internal/xdsserver.(*deltaStream).response"
	fnSetSnap   = "internal/xdsserver.(*groupCache).SetSnapshot"
)

var watchedFuncs = []string{fnReconcile, fnCollect, fnCompute, fnHalvesOut, fnHalvesIn, fnEndpoints, fnRulesSince, fnPodsSince,
	fnPublish, fnSnapshot, fnSotW, fnDelta, fnWire, fnStatus, fnMarshal, fnEncode, fnDeltaDiff, fnSetSnap}

// Cores is the average number of cores busy.
func (c CPUPhase) Cores() float64 {
	if c.Wall <= 0 {
		return 0
	}
	return c.Process.Seconds() / c.Wall.Seconds()
}

// cpuWindow profiles one phase.
type cpuWindow struct {
	name   string
	prefix string
	start  time.Time
	proc   time.Duration
	allocs uint64
	buf    *bytes.Buffer
}

// startCPU starts the phase's profile; prefix, when set, is the
// --cpuprofile path, and the phase's profile is written next to it.
func startCPU(name, prefix string) *cpuWindow {
	w := &cpuWindow{name: name, prefix: prefix, start: time.Now(), proc: processCPU(), allocs: heapAllocated(), buf: &bytes.Buffer{}}
	if err := pprof.StartCPUProfile(w.buf); err != nil {
		w.buf = nil // another profile is running; report /proc figures only
	}
	return w
}

func (w *cpuWindow) stop() CPUPhase {
	c := CPUPhase{Name: w.name, Wall: time.Since(w.start), Process: processCPU() - w.proc, Allocated: heapAllocated() - w.allocs}
	if w.buf == nil {
		return c
	}
	pprof.StopCPUProfile()
	if w.prefix != "" {
		c.Profile = phaseFile(w.prefix, w.name)
		if err := os.MkdirAll(filepath.Dir(c.Profile), 0o755); err == nil {
			_ = os.WriteFile(c.Profile, w.buf.Bytes(), 0o644)
		}
	}
	p, err := parseProfile(w.buf.Bytes())
	if err != nil {
		return c
	}
	c.ByRole = p.byRole()
	c.Top = p.top(roleControlPlane, 12, ownCode, false)
	c.TopFlat = p.top(roleControlPlane, 12, nil, true)
	c.Watched = p.cumOf(roleControlPlane, watchedFuncs)
	return c
}

// heapAllocated is the bytes this process has allocated since it started.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// ownCode keeps sailplane's functions and go-control-plane's server and
// cache: where the control plane's time goes, named by what it does.
func ownCode(name string) bool {
	return strings.Contains(name, "sailplane/sailplane/") || strings.Contains(name, "go-control-plane/pkg/")
}

// phaseFile is bench.pprof → bench.<phase>.pprof.
func phaseFile(prefix, phase string) string {
	ext := filepath.Ext(prefix)
	return strings.TrimSuffix(prefix, ext) + "." + phase + ext
}
