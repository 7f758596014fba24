package bench

import (
	"fmt"
	"strings"
	"time"
)

// The explanations of missed targets quote the run's own evidence: how
// many reconciles ran and how long they took, the translation measured
// directly, and where the control plane's CPU went by stage (cumulative
// profile time of the functions in watchedFuncs). The plans are chosen by
// the same evidence: a stage is planned for when it holds a large share of
// the control plane's CPU in the phase.

// stages describes where the control plane's CPU went during a phase.
func stages(c CPUPhase) string {
	w := c.Watched
	if len(w) == 0 {
		return ""
	}
	halves := w[fnHalvesOut] + w[fnHalvesIn] // Compute's, on goroutines of their own
	return fmt.Sprintf("Control-plane CPU in the phase: %s (control-plane process %s, garbage collection %s). Of it: the reconciler %s (reading the cache %s, mesh.Compute %s, the rules path %s, the pods path %s, mesh.ComputeEndpoints %s, snapshots %s of which marshalling new resources %s, handing them to the proxies' watches %s); the ADS streams %s state of the world and %s Delta (%s of it Delta's diffs), and of both %s encoding responses for the wire; TLS writing them to the connections %s; the status writer %s.",
		dur(c.ByRole[roleControlPlane]), dur(c.Process), dur(c.ByRole["runtime"]),
		dur(w[fnReconcile]+halves), dur(w[fnCollect]), dur(w[fnCompute]+halves), dur(w[fnRulesSince]), dur(w[fnPodsSince]), dur(w[fnEndpoints]),
		dur(w[fnSnapshot]), dur(w[fnMarshal]), dur(w[fnSetSnap]),
		dur(w[fnSotW]), dur(w[fnDelta]), dur(w[fnDeltaDiff]), dur(w[fnEncode]), dur(w[fnWire]), dur(w[fnStatus]))
}

// cpuFloor says what the two processes' CPU alone costs in wall time on
// the machine's cores: the simulated proxies share them with the control
// plane, so no change to the control plane alone can bring the phase (per
// change: each of n changes) under that.
func cpuFloor(c CPUPhase, cores, n int) string {
	if cores <= 0 || n <= 0 || c.Process+c.Bench == 0 {
		return ""
	}
	per := ""
	if n > 1 {
		per = " per change"
	}
	both := (c.Process + c.Bench) / time.Duration(n)
	return fmt.Sprintf("Both processes together used %s of CPU%s (control plane %s, simulated proxies and harness %s): on %d cores that alone takes at least %s.",
		dur(both), per, dur(c.Process/time.Duration(n)), dur(c.Bench/time.Duration(n)), cores, dur(both/time.Duration(cores)))
}

func translated(tr Translation) string {
	if tr.Groups == 0 {
		return ""
	}
	return fmt.Sprintf("Measured directly on the same objects: mesh.Compute for every proxy %s (%d groups, %d outbound halves), snapshots of every group %s.",
		dur(tr.Compute), tr.Groups, tr.OutboundKeys, dur(tr.Snapshots))
}

func convergeCause(r *Result) string {
	c := r.Converge
	ran := fmt.Sprintf("Start-up ran %s (%s); the first proxy had a complete configuration %s after start, the last %s.", plural(c.FullReconciles, "full reconcile"), durList(c.ReconcileTook), dur(c.PerProxy.Min), dur(c.PerProxy.Max))
	if c.FullReconciles == 0 {
		ran = fmt.Sprintf("No reconcile finished in the %s start-up ran.", dur(c.CPU.Wall))
	}
	out := strings.Join(nonEmpty(ran, reviewWait(c), translated(r.Translation), stages(c.CPU), cpuFloor(c.CPU, r.Machine.Cores, 1)), " ")
	if r.Aborted != "" {
		out += " The run was stopped: " + r.Aborted + "."
	}
	return out
}

// reviewWait explains TokenReviews that failed during the start-up.
func reviewWait(c Converge) string {
	errs := c.Auth.Reviews["error"]
	if errs == 0 {
		return ""
	}
	return fmt.Sprintf("Of the start-up's %d TokenReviews, %d got no answer from the API server within the reviewer's 10 s: those proxies were turned away with Unavailable (%s) and authenticated when they came back half a second later, so part of the start-up is that wait.",
		c.Auth.TotalReviews(), errs, "`review_unavailable`")
}

func vsCause(r *Result) string {
	ran := fmt.Sprintf("%s ran %s and %s (%s).%s", plural(r.VS.Done, "VirtualService change"), plural(r.VS.RulesReconciles, "rules-path reconcile"), plural(r.VS.FullReconciles, "full reconcile"), durList(r.VS.ReconcileTook), twice(r.VS))
	return strings.Join(nonEmpty(ran, translated(r.Translation), stages(r.VS.CPU), cpuFloor(r.VS.CPU, r.Machine.Cores, r.VS.Done)), " ")
}

// twice explains two full reconciles per change.
func twice(c Changes) string {
	if c.Done == 0 || c.FullReconciles < 2*c.Done {
		return ""
	}
	return " Each change costs two: after the first, the status writer updates the VirtualService's status (a new observedGeneration); the mesh controller watches VirtualServices without a predicate, so that write is itself an event and runs the whole translation again, changing nothing."
}

func endpointCause(r *Result) string {
	e := r.Endpoints
	ran := fmt.Sprintf("%s ran %s, %s and %s (%s).", plural(e.Done, "endpoint change"), plural(e.PodReconciles, "pods-path reconcile"), plural(e.EndpointReconciles, "endpoint-only reconcile"), plural(e.FullReconciles, "full reconcile"), durList(e.ReconcileTook))
	return strings.Join(nonEmpty(ran, stages(e.CPU), cpuFloor(e.CPU, r.Machine.Cores, e.Done)), " ")
}

func heapCause(r *Result) string {
	m, tr := r.Memory, r.Translation
	var top []string
	for _, h := range m.Holders[:min(6, len(m.Holders))] {
		top = append(top, fmt.Sprintf("%s %s", shortFunc(h.Func), mib(h.Bytes)))
	}
	out := fmt.Sprintf("The control plane's steady live heap is %s. One reconcile's result and snapshots hold %s (measured directly: %d groups, %d outbound halves); the reconciler keeps the last one while it builds the next.",
		mib(m.LiveHeap), mib(tr.Retained), tr.Groups, tr.OutboundKeys)
	if len(top) > 0 {
		out += " The largest holders: " + strings.Join(top, ", ") + "."
	}
	return out
}

// planFor picks the plans the phase's evidence calls for; statusLoop says
// the status writer's writes were seen running full reconciles; size is
// the run's configuration per proxy, which the plan for sending less
// quotes.
func planFor(c CPUPhase, statusLoop bool, size ConfigSize) string {
	w, total := c.Watched, c.ByRole[roleControlPlane]
	big := func(d time.Duration) bool { return total > 0 && d*5 >= total } // a fifth or more
	var plans []string
	if statusLoop {
		plans = append(plans, planPredicate)
	}
	if big(w[fnCompute] + w[fnHalvesOut] + w[fnHalvesIn] + w[fnSnapshot]) {
		plans = append(plans, planScopedCompute)
	}
	if w[fnEndpoints] > 0 && big(w[fnEndpoints]+w[fnSnapshot]) {
		plans = append(plans, planScopedEndpoints)
	}
	if big(w[fnSotW] + w[fnDelta] + w[fnWire]) {
		plans = append(plans, scopeProxiesPlan(size))
	}
	if len(plans) == 0 {
		return "Plan: read the phase's profile (--cpuprofile) for the stage that dominates."
	}
	return "Plan: " + strings.Join(plans, " ")
}

// scopeProxiesPlan is the plan when sending the configuration dominates.
func scopeProxiesPlan(s ConfigSize) string {
	return fmt.Sprintf("Send each proxy less: without Sidecars every proxy is sent every exported service (see \"Configuration per proxy\": %s for the median proxy, of it %s of route tables), so start-up moves proxies × that through TLS and a rule change resends the whole route table of its port to every proxy. Istio's answer is the Sidecar resource's egress hosts (and exportTo), which sailplane serves: with them a proxy's configuration follows what its workload calls, not the size of the mesh (the scoped run measures a mesh whose workloads each call --scoped-run services).",
		kib(s.Median), kib(s.PerType[typeRDS]))
}

const (
	planPredicate       = "Give the mesh controller's watches of the Istio kinds a GenerationChangedPredicate (status writes do not change the generation; deletions still pass), so the status writer's own writes stop running full reconciles."
	planScopedCompute   = "Scope a rule change: only the route tables and clusters of the hosts it names change, yet every outbound half (one per namespace) is translated again and its protos marshalled again. Keep the previous reconcile's halves and rebuild only the virtual hosts and clusters of the hosts whose rules changed, keyed by those rules and the half's namespace so that the result stays exactly what a full translation gives (checked the way the endpoint-only path is: against a full translation on every golden case)."
	planScopedEndpoints = "Make an endpoint change cost the service it touched: the endpoint-only path rebuilds the model and every load assignment of every outbound half, and the builder marshals them again; recompute only the load assignments of the services whose EndpointSlices changed and reuse the others by pointer (the builder already recognises reused protos and lists without marshalling them)."
	planHeap            = "Plan: what remains grows with proxies × resources. The ADS streams hold references to shared sets and interned name lists, and responses are encoded once per distinct content; look at the largest holders above for what still grows per stream. The start-up's peak is its full reconciles and the encoded responses in flight together: the Go runtime lets the heap reach twice the live heap before collecting, so bound it with --memory-limit (the collector then runs more often near the limit; a container's limit sets it by default), and the returner gives a burst's memory back once the heap is quiet."
)

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
