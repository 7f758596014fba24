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
	return fmt.Sprintf("Control-plane CPU in the phase: %s (process %s, garbage collection %s). Of it: the reconciler %s (reading the cache %s, mesh.Compute %s, mesh.ComputeEndpoints %s, snapshots %s of which marshalling new resources %s, handing them to the proxies' watches %s of which Delta diffs %s); the ADS streams %s state of the world and %s Delta, of which encoding responses for the wire %s; the status writer %s.",
		dur(c.ByRole[roleControlPlane]), dur(c.Process), dur(c.ByRole["runtime"]),
		dur(w[fnReconcile]), dur(w[fnCollect]), dur(w[fnCompute]), dur(w[fnEndpoints]), dur(w[fnSnapshot]), dur(w[fnMarshal]), dur(w[fnSetSnap]), dur(w[fnDeltaDiff]),
		dur(w[fnSotW]), dur(w[fnDelta]), dur(w[fnEncode]), dur(w[fnStatus]))
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
	out := strings.Join(nonEmpty(ran, translated(r.Translation), stages(c.CPU)), " ")
	if r.Aborted != "" {
		out += " The run was stopped: " + r.Aborted + "."
	}
	return out
}

func vsCause(r *Result) string {
	ran := fmt.Sprintf("%s ran %s (%s).%s", plural(r.VS.Done, "VirtualService change"), plural(r.VS.FullReconciles, "full reconcile"), durList(r.VS.ReconcileTook), twice(r.VS))
	return strings.Join(nonEmpty(ran, translated(r.Translation), stages(r.VS.CPU)), " ")
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
	ran := fmt.Sprintf("%s ran %s and %s (%s).", plural(e.Done, "endpoint change"), plural(e.EndpointReconciles, "endpoint-only reconcile"), plural(e.FullReconciles, "full reconcile"), durList(e.ReconcileTook))
	return strings.Join(nonEmpty(ran, stages(e.CPU)), " ")
}

func heapCause(r *Result) string {
	m, tr := r.Memory, r.Translation
	var top []string
	for _, h := range m.Holders[:min(6, len(m.Holders))] {
		top = append(top, fmt.Sprintf("%s %s", shortFunc(h.Func), mib(h.Bytes)))
	}
	out := fmt.Sprintf("The steady live heap is %s, of which the simulated proxies and the harness hold %s. One reconcile's result and snapshots hold %s (measured directly: %d groups, %d outbound halves); the reconciler keeps the last one while it builds the next.",
		mib(m.LiveHeap), mib(m.LiveProxies), mib(tr.Retained), tr.Groups, tr.OutboundKeys)
	if len(top) > 0 {
		out += " The largest holders: " + strings.Join(top, ", ") + "."
	}
	return out
}

// planFor picks the plans the phase's evidence calls for; statusLoop says
// the status writer's writes were seen running full reconciles.
func planFor(c CPUPhase, statusLoop bool) string {
	w, total := c.Watched, c.ByRole[roleControlPlane]
	big := func(d time.Duration) bool { return total > 0 && d*5 >= total } // a fifth or more
	var plans []string
	if big(w[fnMarshal]) {
		plans = append(plans, planMarshalOnce)
	}
	if statusLoop {
		plans = append(plans, planPredicate)
	}
	if big(w[fnSnapshot] + w[fnSetSnap]) {
		plans = append(plans, planSnapshots)
	}
	if big(w[fnCompute]) {
		plans = append(plans, planScopedCompute)
	}
	if len(plans) == 0 {
		return "Plan: read the phase's profile (--cpuprofile) for the stage that dominates."
	}
	return "Plan: " + strings.Join(plans, " ")
}

const (
	planMarshalOnce   = "Marshal each proto once per publish, not once per stream: go-control-plane wraps every resource of every response in a new cachedResource, so every stream marshals the whole configuration again (state of the world resends a whole type on any change). Wrap the responses in xdsserver's cache wrapper (nackCache already wraps CreateWatch; add CreateDeltaWatch) so GetDiscoveryResponse and GetDeltaDiscoveryResponse build from GetRawResources with Anys taken from a per-publish map keyed by the proto pointer, filled by xdsserver.Builder, which already marshals every proto to fingerprint it."
	planPredicate     = "Give the mesh controller's watches of the Istio kinds a GenerationChangedPredicate (status writes do not change the generation; deletions still pass), so the status writer's own writes stop running full reconciles: at start-up it writes the status of every VirtualService and DestinationRule, and each batch of those writes runs the whole translation again."
	planSnapshots     = "Make publish proportional to what changed: a group's snapshot still hashes every fingerprint and builds a name index and a version map per type, although its protos are shared; reuse the previous publish's per-type resources when a half's protos are unchanged, and let go-control-plane's Delta diff only the types whose version moved."
	planScopedCompute = "Scope a VirtualService change: only the route tables that include its hosts change, but every outbound half is translated again; rebuild those route tables and reuse the rest of the halves from the previous result (an input-keyed cache the design warns about; keying by the VirtualService's hosts and the halves' namespace keeps it exact)."
	planHeap          = "Plan: what remains is maps keyed by resource name, per group (the snapshots' name indexes and per-resource version maps: groups × resources) and per stream (go-control-plane's returned-resource versions: proxies × resources). Intern the per-resource version strings by fingerprint, so groups share one 64-character string per distinct proto instead of allocating their own; give groups of one outbound half the same per-type maps wherever their content is the same (EDS already is; CDS differs only by the inbound clusters); and count the per-stream maps as the price of go-control-plane's snapshot cache, which grows with proxies × resources until the cache is replaced by one that keeps per-resource versions once per group."
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
