package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Changes is the outcome of repeated changes of one kind.
type Changes struct {
	Kind      string
	Requested int
	// Done changes; fewer than requested when the phase budget ran out or
	// a change did not reach every proxy.
	Done int
	// Affected is the median number of proxies a change affected.
	Affected int
	// All holds, per change, the time until the last affected proxy ACKed.
	All []time.Duration
	// PerProxy pools every affected proxy's delay over all changes.
	PerProxy []time.Duration
	// Writes holds, per change, how long writing it to the API server took.
	Writes []time.Duration
	// FullReconciles and EndpointReconciles ran during the phase.
	FullReconciles, EndpointReconciles int
	// RulesReconciles took the VirtualService/DestinationRule path,
	// PodReconciles the Pod/EndpointSlice path (mesh.ComputePodsSince, or
	// mesh.ComputeSlicesSince for EndpointSlices alone).
	RulesReconciles, PodReconciles int
	ReconcileTook                  []time.Duration
	CPU                            CPUPhase
	Error                          string
}

// change is one edit and how to see it arrive.
type change struct {
	typ      int
	affected func(*typeState) bool
	test     func(*typeState) bool
	write    func(ctx context.Context) error
}

// minChanges always run, whatever the budget: a median needs a few.
const minChanges = 3

// repeat makes up to n changes one after the other, each once the control
// plane is idle again, until the budget is spent (minChanges always run).
func (r *Run) repeat(ctx context.Context, kind string, n int, next func(i int) change) Changes {
	res := Changes{Kind: kind, Requested: n}
	since := time.Now()
	cpu := r.cp.startPhaseCPU(kind, r.cfg.CPUProfile)
	deadline := time.Now().Add(r.cfg.PhaseBudget)
	var affected []int
	for i := 0; i < n; i++ {
		if i >= minChanges && time.Now().After(deadline) {
			break
		}
		if err := r.quiesce(ctx); err != nil {
			res.Error = err.Error()
			break
		}
		r.fleet.Compact()
		c := next(i)
		e := r.fleet.Expect(c.typ, c.affected, c.test)
		e.Begin()
		if err := c.write(ctx); err != nil {
			_, _ = r.fleet.Wait(ctx, e, 0)
			res.Error = fmt.Sprintf("change %d: %v", i+1, err)
			break
		}
		res.Writes = append(res.Writes, time.Since(e.start))
		o, err := r.fleet.Wait(ctx, e, r.cfg.Timeout)
		affected = append(affected, o.Affected)
		res.PerProxy = append(res.PerProxy, o.PerProxy...)
		if err != nil {
			res.Error = fmt.Sprintf("change %d: %v", i+1, err)
			break
		}
		res.All = append(res.All, o.All)
		res.Done++
	}
	// The change's own follow-up work (status writes and the reconciles
	// they cause) belongs to its cost.
	_ = r.quiesce(ctx)
	res.CPU = cpu.stop()
	res.Affected = medianInt(affected)
	for _, rc := range r.sink.reconcilesSince(since) {
		switch rc.Kind {
		case "full":
			res.FullReconciles++
		case "rules":
			res.RulesReconciles++
		case "endpoints":
			res.EndpointReconciles++
		case "pods":
			res.PodReconciles++
		default:
			continue // proxies joining (pods churned) are not the change's reconciles
		}
		res.ReconcileTook = append(res.ReconcileTook, rc.Took)
	}
	return res
}

// quietFor is how long the mesh controller must stay idle: longer than
// the status writer takes to write after a reconcile and its event to
// come back.
const quietFor = 300 * time.Millisecond

// quiesce waits until the mesh controller has had no work queued or
// running for quietFor: the previous change and everything it caused is
// done.
func (r *Run) quiesce(ctx context.Context) error {
	deadline := time.Now().Add(r.cfg.Timeout)
	quietSince := time.Time{}
	for {
		if r.cp.Busy() {
			quietSince = time.Time{}
		} else if quietSince.IsZero() {
			quietSince = time.Now()
		} else if time.Since(quietSince) >= quietFor {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the mesh controller was still busy after %s", r.cfg.Timeout)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(quietPoll):
		}
	}
}

// quietPoll is how often quiesce asks; each answer gathers two gauges in
// the control plane's process (busyGauges).
const quietPoll = 150 * time.Millisecond

// meshBusy reads the mesh controller's queue depth and active workers
// (controller-runtime's workqueue_depth and
// controller_runtime_active_workers gauges).
func meshBusy() bool {
	families, err := busyGauges().Gather()
	if err != nil {
		return false
	}
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == "mesh" && m.GetGauge().GetValue() > 0 {
					return true
				}
			}
		}
	}
	return false
}

// busyGauges is a registry of just the two gauges meshBusy reads. Gathering
// the control plane's whole registry (its per-proxy series too) on every
// poll cost the control-plane process a tenth of its CPU while changes
// were timed, far more than a scrape every few seconds would. The gauges
// are controller-runtime's own: registering a collector that describes
// the same metric returns the one registered (AlreadyRegisteredError).
var busyGauges = sync.OnceValue(func() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	for _, probe := range []prometheus.Collector{
		prometheus.NewGaugeVec(prometheus.GaugeOpts{Subsystem: "workqueue", Name: "depth",
			Help: "Current depth of workqueue by workqueue and priority"}, []string{"name", "controller", "priority"}),
		prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "controller_runtime_active_workers",
			Help: "Number of currently used workers per controller"}, []string{"controller"}),
	} {
		var already prometheus.AlreadyRegisteredError
		if err := ctrlmetrics.Registry.Register(probe); !errors.As(err, &already) {
			panic(fmt.Sprintf("controller-runtime's gauge %T is not registered as the bench expects (%v): update busyGauges", probe, err))
		}
		reg.MustRegister(already.ExistingCollector)
	}
	return reg
})
