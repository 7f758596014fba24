package bench

import (
	"fmt"
	"strings"
	"time"
)

// Target statuses.
const (
	Met         = "MET"
	NotMet      = "NOT MET"
	NotMeasured = "NOT MEASURED"
)

// Target is one of issue 7's targets, judged on a run.
type Target struct {
	Name, Goal, Measured, Status string
	// Cause and Plan explain a target that is not met, with the run's own
	// evidence.
	Cause, Plan string
}

// Issue 7's goals.
const (
	goalConverge  = 10 * time.Second
	goalVS        = 250 * time.Millisecond
	goalEndpoints = 200 * time.Millisecond
	goalIdleCores = 0.05
	goalHeap      = 300 << 20
	goalInject    = 10 * time.Millisecond
)

// Targets judges the run against the targets.
func Targets(r *Result) []Target {
	return []Target{
		convergeTarget(r), vsTarget(r), endpointTarget(r), idleTarget(r), heapTarget(r), consistencyTarget(r), injectTarget(r),
	}
}

func status(ok bool) string {
	if ok {
		return Met
	}
	return NotMet
}

func convergeTarget(r *Result) Target {
	c := r.Converge
	t := Target{Name: fmt.Sprintf("complete config for all %d proxies", r.Config.Proxies), Goal: "within " + dur(goalConverge) + " of start"}
	switch {
	case c.Proxies == 0:
		t.Status, t.Measured = NotMeasured, "the control plane did not start"
	case c.Completed < c.Proxies:
		t.Status = NotMet
		t.Measured = fmt.Sprintf("not reached: %d of %d proxies complete after %s", c.Completed, c.Proxies, dur(c.CPU.Wall))
	default:
		t.Status = status(c.FromStart <= goalConverge)
		t.Measured = fmt.Sprintf("%s from start (%s from the first connection), every proxy authenticated (%s)", dur(c.FromStart), dur(c.FromFirstConnect), reviewCount(c.Auth))
	}
	if t.Status == NotMet {
		t.Cause = convergeCause(r)
		// The VirtualService changes show whether status writes rebuild.
		t.Plan = planFor(r.Converge.CPU, twice(r.VS) != "", r.ConfigSize)
		if c.Auth.Reviews["error"] > 0 {
			t.Plan = "Plan: " + reviewPlan + " " + strings.TrimPrefix(t.Plan, "Plan: ")
		}
	}
	return t
}

// reviewPlan answers TokenReviews timing out in a mass connect.
const reviewPlan = "Authenticate a mass connect without timing out: every proxy's first stream costs one TokenReview (the tokens are distinct, so the cache helps only reconnects), and all of them reach the API server at once. Bound the reviews in flight in xdsauth, with the wait in that queue outside the 10 s given to the API server's answer, so a mass connect is served in order instead of failing and retrying; and let a proxy that holds a workload certificate present it rather than its token (the port accepts both), so a reconnect costs no review."

func topNames(c CPUPhase) string {
	if len(c.Top) == 0 {
		return ""
	}
	var parts []string
	for _, f := range c.Top[:min(5, len(c.Top))] {
		parts = append(parts, fmt.Sprintf("%s %s", shortFunc(f.Name), dur(f.Cum)))
	}
	return "Profile (control plane, cumulative): " + strings.Join(parts, ", ") + "."
}

func vsTarget(r *Result) Target {
	t := changeTarget(r.VS, "VirtualService change ACKed by every affected proxy", goalVS)
	if t.Status == NotMet {
		t.Cause, t.Plan = vsCause(r), planFor(r.VS.CPU, twice(r.VS) != "", r.ConfigSize)
	}
	return t
}

func endpointTarget(r *Result) Target {
	t := changeTarget(r.Endpoints, "endpoint change ACKed by every affected proxy", goalEndpoints)
	if t.Status == NotMet {
		t.Cause, t.Plan = endpointCause(r), planFor(r.Endpoints.CPU, false, r.ConfigSize)
	}
	return t
}

func changeTarget(c Changes, name string, goal time.Duration) Target {
	t := Target{Name: name, Goal: "p99 under " + dur(goal)}
	if c.Done == 0 {
		t.Status, t.Measured = NotMeasured, "no change completed"
		if c.Error != "" {
			t.Status, t.Measured = NotMet, "no change reached every proxy: "+c.Error
		}
		return t
	}
	s := summarize(c.All)
	t.Status = status(s.P99 < goal && c.Error == "")
	t.Measured = fmt.Sprintf("p99 %s over %d changes (p50 %s)", dur(s.P99), s.N, dur(s.P50))
	if c.Error != "" {
		t.Measured += "; then: " + c.Error
	}
	return t
}

func idleTarget(r *Result) Target {
	t := Target{Name: "idle CPU", Goal: fmt.Sprintf("under %.2f cores", goalIdleCores)}
	if r.Idle.Wall == 0 {
		t.Status, t.Measured = NotMeasured, "the run did not reach the idle phase"
		return t
	}
	cores := r.Idle.Cores()
	t.Status = status(cores < goalIdleCores)
	t.Measured = fmt.Sprintf("%.3f cores over %s (control-plane process; bench process %.3f)", cores, dur(r.Idle.Wall), r.Idle.benchCores())
	if t.Status == NotMet {
		t.Cause = "The idle process still burns CPU. " + topNames(r.Idle)
		t.Plan = "Plan: read the idle profile (--cpuprofile) and remove the periodic work it shows."
	}
	return t
}

func heapTarget(r *Result) Target {
	m := r.Memory
	t := Target{Name: "heap", Goal: "under " + mib(goalHeap)}
	if m.PeakHeapInuse == 0 {
		t.Status, t.Measured = NotMeasured, "no heap figures"
		return t
	}
	t.Status = status(m.PeakLive < goalHeap)
	t.Measured = fmt.Sprintf("peak live heap %s (control-plane process; %s in use with garbage)", mib(m.PeakLive), mib(m.PeakHeapInuse))
	if m.LiveHeap > 0 {
		t.Measured += fmt.Sprintf("; steady live %s", mib(m.LiveHeap))
	}
	if t.Status == NotMet {
		t.Cause, t.Plan = heapCause(r), planHeap
	}
	return t
}

func consistencyTarget(r *Result) Target {
	c := r.Consistency
	t := Target{Name: "no inconsistent snapshot", Goal: "no proxy ever holds a route naming a cluster it does not have"}
	if r.Converge.Proxies == 0 {
		t.Status, t.Measured = NotMeasured, "no proxies ran"
		return t
	}
	t.Status = status(c.Inconsistent == 0 && len(c.SampleErrors) == 0)
	t.Measured = fmt.Sprintf("%d inconsistent states over every ACK of %d proxies; xds.CheckConsistency on %d sampled proxies: %d errors", c.Inconsistent, r.Converge.Proxies, c.Sampled, len(c.SampleErrors))
	if t.Status == NotMet {
		t.Cause = "First seen: " + c.First
		if len(c.SampleErrors) > 0 {
			t.Cause += "; sample: " + c.SampleErrors[0]
		}
		t.Plan = "Plan: push clusters before the routes that name them (go-control-plane's ordered ADS for state of the world)."
	}
	return t
}

func injectTarget(r *Result) Target {
	in := r.Injection
	t := Target{Name: "injection latency inside the webhook", Goal: "p99 under " + dur(goalInject)}
	if in.Webhook.N == 0 {
		t.Status, t.Measured = NotMeasured, "no admissions reached the webhook"
		if in.Error != "" {
			t.Measured += ": " + in.Error
		}
		return t
	}
	t.Status = status(in.Webhook.P99 < goalInject)
	t.Measured = fmt.Sprintf("p99 %s, p50 %s over %d admissions (%d pods injected); API round trip p99 %s", dur(in.Webhook.P99), dur(in.Webhook.P50), in.Webhook.N, in.Injected, dur(in.Create.P99))
	if t.Status == NotMet {
		t.Cause = fmt.Sprintf("The webhook shares the process (and its %d cores) with the mesh reconciler, and pods are mesh inputs: the pod creations ran %d full reconciles (phase: %s, %s of control-plane CPU, %.2f cores for the control-plane process), and admissions wait for a core meanwhile; the median admission takes %s.",
			r.Machine.Cores, in.FullReconciles, dur(in.CPU.Wall), dur(in.CPU.ByRole[roleControlPlane]), in.CPU.Cores(), dur(in.Webhook.P50))
		t.Plan = "Plan: a new pod with no IP, whose node id no connected proxy announces, cannot change any proxy's configuration; let such pod events skip the full reconcile (an event filter in the mesh controller that consults the ADS server's tracker), so admissions stop competing with reconciles; the reconcile plans above shrink what remains."
		if in.FullReconciles == 0 {
			// Nothing for the filter above to skip: pod creations took the
			// pod path, and what is left is waiting for a core.
			t.Plan = fmt.Sprintf("Plan: no full reconcile ran; the slow admissions are the webhook waiting for a core while the pod path's reconciles and the simulated proxies run. Over %d admissions the p99 is one of the slowest few: read it over the default --inject-pods before acting on it.", in.Webhook.N)
		}
	}
	return t
}

// benchCores is the cores the bench process used during the phase.
func (c CPUPhase) benchCores() float64 {
	if c.Wall <= 0 {
		return 0
	}
	return c.Bench.Seconds() / c.Wall.Seconds()
}

// roleCores is the cores one role used during the phase.
func (c CPUPhase) roleCores(role string) float64 {
	if c.Wall <= 0 {
		return 0
	}
	return c.ByRole[role].Seconds() / c.Wall.Seconds()
}
