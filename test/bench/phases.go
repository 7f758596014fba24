package bench

import (
	"context"
	"errors"
	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"runtime"
	"sort"
	"time"

	"github.com/sailplane/sailplane/internal/xds"
)

// Converge is the start-up: the control plane starts with the mesh in
// place and every proxy connecting at once.
type Converge struct {
	Proxies, Completed int
	// FromStart and FromFirstConnect: until the last proxy ACKed a
	// complete configuration.
	FromStart, FromFirstConnect time.Duration
	// FirstConnect is when the first proxy's stream opened, after start.
	FirstConnect time.Duration
	// PerProxy: each proxy's completion, from the start.
	PerProxy       Summary
	FullReconciles int
	// Joins configured proxies that connected from the last reconcile
	// (no cache read, no model build); JoinTook is how long each took.
	Joins         int
	JoinTook      []time.Duration
	ReconcileTook []time.Duration
	// FirstReconcile is when the first reconcile began, after start: before
	// it the control plane is starting (its caches filling from the API
	// server).
	FirstReconcile time.Duration
	// StatusWritten is when every VirtualService and DestinationRule had
	// its status for its current generation, after start (0: not seen
	// within the timeout). The status writer is the tail of a start-up: it
	// writes through the API client's rate limit.
	StatusWritten time.Duration
	// Groups is the most groups one reconcile translated.
	Groups int
	CPU    CPUPhase
	// RootPublished is when the mesh root was in every mesh namespace's
	// ConfigMap, after start: the proxies verify the control plane
	// against it, so they connect from then on.
	RootPublished time.Duration
	// Auth is the authentication counters from start until idle.
	Auth AuthCounts
}

func (r *Run) converge(ctx context.Context) error {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.res.Memory.BeforeControlPlane = ms.HeapInuse
	// The control-plane process is new: its counters start at zero.
	r.authBefore = AuthCounts{}
	benchCPU := processCPU()
	cp, err := SpawnControlPlane(ctx, r.cluster, r.sink, r.cfg, r.abort)
	if err != nil {
		return err
	}
	r.cp = cp
	// The process's CPU from its start: its profile begins once it serves.
	cpu := cp.startPhaseCPU("converge", r.cfg.CPUProfile)
	cpu.start, cpu.bench = cp.Started, benchCPU
	roots, err := meshRoots(ctx, r.cluster.Client, r.mesh.Namespaces, r.cfg.Timeout)
	if err != nil {
		cpu.stop()
		return err
	}
	rootAt := time.Since(cp.Started)
	fleet, err := NewFleet(cp.XDSAddress, proxyTLS(roots), r.mesh, r.tokens, FleetOptions{Proxies: r.cfg.Proxies, DeltaShare: r.cfg.DeltaShare, Conns: r.cfg.Conns})
	if err != nil {
		cpu.stop()
		return err
	}
	r.fleet = fleet
	fleet.Start(ctx)
	r.progress("control plane started (authenticated xDS on %s, root published after %.1fs); %d proxies connecting", cp.XDSAddress, rootAt.Seconds(), r.cfg.Proxies)
	waitErr := fleet.WaitComplete(ctx, r.cfg.Timeout)
	r.res.Converge = r.convergence()
	r.progress("%d of %d proxies complete after %.1fs", r.res.Converge.Completed, r.cfg.Proxies, r.res.Converge.FromStart.Seconds())
	if waitErr == nil {
		waitErr = r.quiesce(ctx)
	}
	c := &r.res.Converge
	c.CPU = cpu.stop()
	c.CPU.Process = cp.CPU()
	c.RootPublished, c.Auth = rootAt, cp.Auth().minus(r.authBefore)
	for i, rc := range r.sink.reconcilesSince(cp.Started) {
		if i == 0 {
			c.FirstReconcile = rc.At.Add(-rc.Took).Sub(cp.Started)
		}
		c.Groups = max(c.Groups, rc.Groups)
		if rc.Kind == "join" {
			c.Joins, c.JoinTook = c.Joins+1, append(c.JoinTook, rc.Took)
			continue
		}
		if rc.Full {
			c.FullReconciles++
		}
		c.ReconcileTook = append(c.ReconcileTook, rc.Took)
	}
	return waitErr
}

func (r *Run) convergence() Converge {
	f, start := r.fleet, r.cp.Started
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Converge{Proxies: len(f.proxies), Completed: f.completed}
	if !f.firstConnect.IsZero() {
		c.FirstConnect = f.firstConnect.Sub(start)
	}
	var done []time.Duration
	var last time.Time
	for _, p := range f.proxies {
		if !p.completeAt.IsZero() {
			done = append(done, p.completeAt.Sub(start))
			if p.completeAt.After(last) {
				last = p.completeAt
			}
		}
	}
	c.PerProxy = summarize(done)
	if c.Completed == c.Proxies && c.Proxies > 0 {
		c.FromStart, c.FromFirstConnect = last.Sub(start), last.Sub(f.firstConnect)
	}
	return c
}

// idle measures the quiet mesh: CPU over the idle window, then memory, the
// size of a proxy's configuration and a full consistency check of a sample
// of proxies.
func (r *Run) idle(ctx context.Context) error {
	if err := r.quiesce(ctx); err != nil {
		return err
	}
	// Idle means nothing left to do, so the start-up's status writes are
	// waited for first; how long they took is reported with the start-up.
	if r.statusWritten(ctx) {
		r.res.Converge.StatusWritten = time.Since(r.cp.Started)
	}
	r.fleet.Compact()
	r.awaitReturn()
	cpu := r.cp.startPhaseCPU("idle", r.cfg.CPUProfile)
	select {
	case <-ctx.Done():
	case <-time.After(r.cfg.Idle):
	}
	r.res.Idle = cpu.stop()
	if err := r.steadyMemory(); err != nil {
		return err
	}
	r.res.ConfigSize = configSize(r.fleet)
	r.res.Consistency.check(r.fleet, r.cfg.Sample, r.rng.Perm(len(r.fleet.proxies)))
	return context.Cause(ctx)
}

// statusWritten waits until every VirtualService and DestinationRule
// reports the generation it has; false if that does not happen within the
// timeout.
func (r *Run) statusWritten(ctx context.Context) bool {
	deadline := time.Now().Add(r.cfg.Timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if r.allStatusCurrent(ctx) {
			return true
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
	return false
}

func (r *Run) allStatusCurrent(ctx context.Context) bool {
	var vss networkingv1.VirtualServiceList
	var drs networkingv1.DestinationRuleList
	if r.cluster.Client.List(ctx, &vss) != nil || r.cluster.Client.List(ctx, &drs) != nil {
		return false
	}
	for _, vs := range vss.Items {
		if vs.Status.ObservedGeneration != vs.Generation {
			return false
		}
	}
	for _, dr := range drs.Items {
		if dr.Status.ObservedGeneration != dr.Generation {
			return false
		}
	}
	return true
}

func (r *Run) vsChanges(ctx context.Context) error {
	if len(r.mesh.WithRules()) == 0 {
		return errors.New("the mesh has no VirtualServices (--rule-share 0)")
	}
	r.res.VS = r.repeat(ctx, "vs", r.cfg.Changes, r.vsChange)
	return changesErr(r.res.VS)
}

func (r *Run) endpointChanges(ctx context.Context) error {
	r.res.Endpoints = r.repeat(ctx, "endpoints", r.cfg.Changes, r.endpointChange)
	return changesErr(r.res.Endpoints)
}

func (r *Run) podChurn(ctx context.Context) error {
	k := min(r.cfg.ChurnPods, len(r.mesh.Pods))
	r.res.Churn = r.repeat(ctx, "churn", r.cfg.ChurnRounds, func(int) change { return r.churn(k) })
	return changesErr(r.res.Churn)
}

func (r *Run) injection(ctx context.Context) error {
	if err := r.quiesce(ctx); err != nil {
		return err
	}
	r.res.Injection = r.MeasureInjection(ctx, r.cfg.InjectPods)
	if r.res.Injection.Error != "" {
		return errors.New(r.res.Injection.Error)
	}
	return nil
}

func changesErr(c Changes) error {
	if c.Error != "" {
		return errors.New(c.Error)
	}
	return nil
}

// ConfigSize is the configuration the proxies hold: the sum of the proto
// sizes of the resources one proxy received.
type ConfigSize struct {
	Median, Max int
	// PerType and Resources are the median proxy's bytes and resource
	// counts per type (CDS, EDS, LDS, RDS).
	PerType, Resources [numTypes]int
}

func configSize(f *Fleet) ConfigSize {
	held := f.held()
	sort.Slice(held, func(i, j int) bool { return total(held[i]) < total(held[j]) })
	var c ConfigSize
	if len(held) == 0 {
		return c
	}
	mid := held[(len(held)-1)/2]
	c.Median, c.Max = total(mid), total(held[len(held)-1])
	for t, st := range mid {
		if st != nil {
			c.PerType[t], c.Resources[t] = st.size, len(st.entries)
		}
	}
	return c
}

func total(states [numTypes]*typeState) int {
	n := 0
	for _, st := range states {
		if st != nil {
			n += st.size
		}
	}
	return n
}

// Consistency is what the proxies were given, judged.
type Consistency struct {
	// Sampled proxies' whole configurations went through
	// xds.CheckConsistency; SampleErrors is what it found.
	Sampled      int
	SampleErrors []string
	// Inconsistent counts every ACKed state, over all proxies and the whole
	// run, in which a route or listener named a cluster the proxy did not
	// have; Proxies is how many proxies were ever in such a state.
	Inconsistent, Proxies int
	First                 string
	Nacks, Reconnects     int
	// Rejections are NACKs the control plane logged.
	Rejections int
	// Refusals are streams the control plane refused (Unauthenticated or
	// PermissionDenied), RefusedProxies the proxies they were of;
	// Restarts are proxies replaced because their pod was recreated.
	Refusals, RefusedProxies, Restarts int
	FirstRefusal                       string
}

func (c *Consistency) check(f *Fleet, n int, order []int) {
	for _, i := range order[:min(n, len(order))] {
		res, err := decodeResources(f.proxies[i].get())
		c.Sampled++
		if err != nil {
			c.SampleErrors = append(c.SampleErrors, f.proxies[i].id()+": "+err.Error())
			continue
		}
		for _, e := range xds.CheckConsistency(res) {
			c.SampleErrors = append(c.SampleErrors, f.proxies[i].id()+": "+e.Error())
		}
	}
}

func (c *Consistency) fromFleet(f *Fleet) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.Inconsistent, c.Proxies, c.First = f.inconsistent, len(f.badProxies), f.firstBad
	c.Nacks, c.Reconnects = f.nacks, f.reconnects
	c.Refusals, c.RefusedProxies, c.FirstRefusal, c.Restarts = f.refusals, len(f.refusedProxies), f.firstRefused, f.restarts
}
