package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"time"
)

// Config is one benchmark run.
type Config struct {
	Spec        Spec
	Proxies     int
	DeltaShare  float64
	Conns       int
	Changes     int
	ChurnPods   int
	ChurnRounds int
	InjectPods  int
	Idle        time.Duration
	// PhaseBudget stops a kind of change from starting another change
	// once the phase has run this long (minChanges always run).
	PhaseBudget time.Duration
	// Timeout bounds every wait for the proxies or the control plane.
	Timeout time.Duration
	// Sample proxies have their whole configuration decoded and checked
	// with xds.CheckConsistency; TranslateSample groups are translated
	// directly.
	Sample, TranslateSample int
	// MaxRSS stops the run when the process grows past it (0: no limit).
	MaxRSS     uint64
	CPUProfile string
	// MemoryLimit and PushBudgetMiB are the control plane's --memory-limit
	// and --xds-push-budget-mib (PushBudgetMiB < 0: its default).
	MemoryLimit   string
	PushBudgetMiB int
	// PeakHeapProfile, when set, is where the control plane writes its
	// heap profile at its live heap's peak.
	PeakHeapProfile string
	Verbose         bool
	// Commit is the sailplane commit being measured, read when the
	// program started (the working tree may move on during a long run).
	Commit string
}

// Result is everything one run measured.
type Result struct {
	Config      Config
	Machine     Machine
	Command     string
	Start       time.Time
	Took        time.Duration
	LoadAtEnd   string
	Aborted     string
	Errors      []string
	Setup       Setup
	Translation Translation
	Converge    Converge
	// Return is the wait for the start-up's memory to be returned,
	// before Idle.
	Return      MemoryReturn
	Idle        CPUPhase
	Memory      Memory
	ConfigSize  ConfigSize
	Consistency Consistency
	VS          Changes
	Endpoints   Changes
	Churn       Changes
	Injection   Injection
	// Auth is the authentication counters over the whole run (start-up,
	// and the proxies of churned pods reconnecting with new tokens).
	Auth      AuthCounts
	LogErrors []string
}

// Run holds a run's moving parts.
type Run struct {
	cfg     Config
	res     *Result
	rng     *rand.Rand
	mesh    *Mesh
	cluster *Cluster
	cp      *ControlPlaneProcess
	fleet   *Fleet
	sink    *captureSink
	log     io.Writer

	// tokens[i] is proxy i's bound service-account token.
	tokens []string
	// authBefore is the authentication counters before the control
	// plane started.
	authBefore AuthCounts

	// abort ends the run (the control plane grew past --max-rss).
	abort context.CancelCauseFunc

	epService *Service
	epIP      string
	ips       int
}

type step struct {
	name  string
	fatal bool
	run   func(context.Context) error
}

// Execute runs the benchmark. It always returns a result: a phase that
// fails is recorded and, when later phases depend on it, ends the run.
func Execute(ctx context.Context, cfg Config, command string, log io.Writer) *Result {
	res := &Result{Config: cfg, Machine: describeMachine(), Command: command, Start: time.Now()}
	if cfg.Commit != "" {
		res.Machine.Commit = cfg.Commit
	}
	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	mw := watchMemory(cfg.MaxRSS, abort)
	defer mw.close()
	var verbose io.Writer
	if cfg.Verbose {
		verbose = os.Stderr
	}
	seed := cfg.Spec.Seed
	r := &Run{cfg: cfg, res: res, rng: rand.New(rand.NewPCG(seed, seed+1)), mesh: NewMesh(cfg.Spec), sink: newCaptureSink(verbose), log: log, abort: abort}
	steps := []step{
		{"start the API server", true, r.startCluster},
		{"create the mesh", true, r.createMesh},
		{"issue the proxies' service-account tokens", true, r.issueTokens},
		{"translate directly", false, r.translate},
		{"start the control plane and connect the proxies", true, r.converge},
		{"idle", false, r.idle},
		{"VirtualService changes", false, r.vsChanges},
		{"endpoint changes", false, r.endpointChanges},
		{"pod churn", false, r.podChurn},
		{"sidecar injection", false, r.injection},
	}
	// The harness's own work carries its profiler label; the control plane
	// and the proxies relabel what they start.
	pprof.Do(ctx, pprof.Labels(roleLabel, roleHarness), func(ctx context.Context) {
		for _, s := range steps {
			r.progress("%s", s.name)
			if err := s.run(ctx); err != nil {
				res.Errors = append(res.Errors, s.name+": "+err.Error())
				r.progress("%s failed: %v", s.name, err)
				if s.fatal || ctx.Err() != nil {
					break
				}
			}
		}
	})
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		res.Aborted = cause.Error()
	}
	r.finish()
	return res
}

// Failed is why the run must not pass: a proxy the control plane
// refused means the figures are not those of an authenticated mesh.
func (r *Result) Failed() error {
	if c := r.Consistency; c.RefusedProxies > 0 {
		return fmt.Errorf("the control plane refused %d proxies (%d streams); the first: %s", c.RefusedProxies, c.Refusals, c.FirstRefusal)
	}
	return nil
}

func (r *Run) progress(format string, args ...any) {
	fmt.Fprintf(r.log, "[%6.1fs] %s\n", time.Since(r.res.Start).Seconds(), fmt.Sprintf(format, args...))
}

// finish collects what the proxies saw and stops everything.
func (r *Run) finish() {
	bench := procStatus("/proc/self/status", "VmHWM")
	m := &r.res.Memory
	m.BenchHWM = bench["VmHWM"]
	if r.cp != nil {
		if peaks, err := r.cp.Peaks(); err == nil {
			m.PeakLive, m.PeakHeapInuse, m.PeakHeapAlloc = peaks.PeakLive, peaks.PeakHeapInuse, peaks.PeakHeapAlloc
		}
		_, m.HWM = r.cp.Status()
	}
	if r.fleet != nil {
		r.res.Consistency.fromFleet(r.fleet)
		// The counters are read before the streams close: a metrics read
		// racing 2000 stream closes has deadlocked the control plane's
		// stream tracker (internal/xdsserver Tracker.closed holds its lock
		// while deleting a metric series that a Gather is collecting).
		r.res.Auth = r.cp.Auth().minus(r.authBefore)
		r.fleet.Close()
		if c := r.res.Consistency; c.RefusedProxies > 0 {
			r.res.Errors = append(r.res.Errors, fmt.Sprintf("the control plane refused %d proxies (%d streams); the first: %s", c.RefusedProxies, c.Refusals, c.FirstRefusal))
		}
	}
	r.res.Consistency.Rejections = r.sink.rec.rejections
	r.res.LogErrors = r.sink.errorsLogged()
	if r.cp != nil {
		if err := r.cp.Stop(); err != nil {
			r.res.Errors = append(r.res.Errors, err.Error())
		}
	}
	if r.cluster != nil {
		if err := r.cluster.Stop(); err != nil {
			r.res.Errors = append(r.res.Errors, "stopping the API server: "+err.Error())
		}
	}
	r.res.Took = time.Since(r.res.Start)
	r.res.LoadAtEnd = loadAvg()
}

func (r *Run) startCluster(context.Context) error {
	c, err := StartCluster()
	r.cluster = c
	return err
}

func (r *Run) createMesh(ctx context.Context) error {
	s := r.cfg.Spec
	r.progress("creating %d services in %d namespaces (%d pods, %d with rules)", s.Services, s.Namespaces, len(r.mesh.Pods), len(r.mesh.WithRules()))
	setup, err := CreateMesh(ctx, r.cluster.Client, r.mesh)
	r.res.Setup = setup
	return err
}

func (r *Run) translate(ctx context.Context) error {
	t, err := MeasureTranslation(ctx, r.cluster.Client, r.mesh, r.cfg.Proxies, r.cfg.TranslateSample)
	r.res.Translation = t
	return err
}
