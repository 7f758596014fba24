package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/manager"
)

// table is a titled table of the report.
type table struct {
	title   string
	note    string
	headers []string
	rows    [][]string
}

// figures are the run's measurements as tables, shared by the printed and
// the Markdown report.
func figures(r *Result) []table {
	return []table{meshTable(r), startupTable(r), changesTable(r), idleTable(r), holdersTable(r), sizeTable(r), translationTable(r), consistencyTable(r), injectionTable(r), cpuTable(r)}
}

func kv(title, note string, rows ...[]string) table {
	return table{title: title, note: note, headers: []string{"measure", "value"}, rows: rows}
}

func meshTable(r *Result) table {
	c, m := r.Config, NewMesh(r.Config.Spec)
	return kv("Mesh", "", []string{"services / namespaces", fmt.Sprintf("%d / %d (seed %d)", c.Spec.Services, c.Spec.Namespaces, c.Spec.Seed)},
		[]string{"pods (2 per service, injected)", fmt.Sprint(len(m.Pods))},
		[]string{"services with DestinationRule subsets and a weighted VirtualService", fmt.Sprintf("%d (%.0f%%)", len(m.WithRules()), 100*c.Spec.RuleShare)},
		[]string{"Sidecar scoping", scoping(c.Spec.Scoped)},
		[]string{"simulated proxies (Delta / state of the world)", fmt.Sprintf("%d (%.0f%% Delta) over %d gRPC connections", c.Proxies, 100*c.DeltaShare, c.Conns)},
		[]string{"service accounts (one per service; its pods run as it)", fmt.Sprint(r.Setup.ServiceAccounts)},
		[]string{"objects created / time", fmt.Sprintf("%d in %s", r.Setup.Objects, dur(r.Setup.Took))},
		[]string{"pod-bound tokens requested (TokenRequest, audience " + defaults.TokenAudience + "; harness set-up, before the control plane starts)", tokensIssued(r.Setup.Tokens)})
}

func scoping(n int) string {
	if n == 0 {
		return "none: every proxy is configured for every service"
	}
	return fmt.Sprintf("one Sidecar per service: its workloads call %d services", n)
}

func tokensIssued(t Tokens) string {
	if t.Issued == 0 {
		return "none"
	}
	return fmt.Sprintf("%d in %s (%d in parallel)", t.Issued, dur(t.Took), t.Workers)
}

func startupTable(r *Result) table {
	c := r.Converge
	return kv("Start-up: control plane started with the mesh in place, every proxy connecting at once", "",
		[]string{"mesh root published in every mesh namespace, from start (the mesh CA created on this first start)", dur(c.RootPublished)},
		[]string{"proxies authenticated (TLS verified against the published root, pod-bound token) / refused", authenticated(r)},
		[]string{"TokenReviews until idle (authenticated / refused / error)", reviews(c.Auth)},
		[]string{"workload certificates issued until idle", fmt.Sprintf("%d (for %d service accounts)", c.Auth.Certificates, r.Setup.ServiceAccounts)},
		[]string{"first proxy connected after start", dur(c.FirstConnect)},
		[]string{"first proxy ACKed a complete config, from start", dur(c.PerProxy.Min)},
		[]string{"every proxy ACKed a complete config, from start", completeOr(c, c.FromStart)},
		[]string{"… from the first connection", completeOr(c, c.FromFirstConnect)},
		[]string{"per proxy, from start (p50 / p99)", fmt.Sprintf("%s / %s over %d proxies", dur(c.PerProxy.P50), dur(c.PerProxy.P99), c.PerProxy.N)},
		[]string{"first reconcile began, from start (caches filled from the API server)", dur(c.FirstReconcile)},
		[]string{"full reconciles until idle", fmt.Sprintf("%d (%s)", c.FullReconciles, durList(c.ReconcileTook))},
		[]string{"proxy joins until idle (configured from the last reconcile)", fmt.Sprintf("%d (%s)", c.Joins, durList(c.JoinTook))},
		[]string{"status of every VirtualService and DestinationRule written, from start", statusWrittenOr(c)},
		[]string{"proxy groups translated per reconcile", fmt.Sprint(c.Groups)},
		[]string{"CPU from start until idle: control-plane process / bench process (proxies, harness)", fmt.Sprintf("%s / %s over %s", dur(c.CPU.Process), dur(c.CPU.Bench), dur(c.CPU.Wall))})
}

// authenticated: every proxy that completed did so over the authenticated
// port with its token (the only port it has); refused ones are counted.
func authenticated(r *Result) string {
	c, k := r.Converge, r.Consistency
	out := fmt.Sprintf("%d of %d / %d refused (%d refused streams)", c.Completed, c.Proxies, k.RefusedProxies, k.Refusals)
	if n := c.Auth.TotalRefusals(); n > 0 {
		var reasons []string
		for _, reason := range slices.Sorted(maps.Keys(c.Auth.Refusals)) {
			reasons = append(reasons, fmt.Sprintf("%d %s", c.Auth.Refusals[reason], reason))
		}
		if c.Auth.NodeRefusals > 0 {
			reasons = append(reasons, fmt.Sprintf("%d for the node id", c.Auth.NodeRefusals))
		}
		out += fmt.Sprintf("; streams the control plane turned away: %s", strings.Join(reasons, ", "))
		if u := c.Auth.Refusals["review_unavailable"]; u > 0 && k.RefusedProxies == 0 {
			out += fmt.Sprintf(" (the TokenReview timed out; the %d streams came back and were authenticated)", u)
		}
	}
	return out
}

// reviewCount is the TokenReviews, and how many of them failed.
func reviewCount(a AuthCounts) string {
	out := plural(a.TotalReviews(), "TokenReview")
	if e := a.Reviews["error"]; e > 0 {
		out += fmt.Sprintf(", %d of them unanswered within 10 s and retried", e)
	}
	return out
}

func reviews(a AuthCounts) string {
	return fmt.Sprintf("%d (%d / %d / %d)", a.TotalReviews(), a.Reviews["authenticated"], a.Reviews["refused"], a.Reviews["error"])
}

func completeOr(c Converge, d time.Duration) string {
	if c.Completed < c.Proxies || c.Proxies == 0 {
		return fmt.Sprintf("not reached (%d of %d complete)", c.Completed, c.Proxies)
	}
	return dur(d)
}

func changesTable(r *Result) table {
	t := table{
		title: "Changes: time until every affected proxy ACKed",
		note:  "Per change, the time from the write to the last affected proxy's ACK; percentiles are over the changes (nearest rank: with 20 changes p99 is the maximum). Per proxy pools every affected proxy's delay. CPU per change is the phase's CPU (including the follow-up work until the controller is idle) divided by the changes.",
		headers: []string{"change", "done", "affected proxies", "p50", "p90", "p99", "max", "per proxy p50 / p99",
			"write", "CPU per change: control-plane process / bench process", "reconciles: full / rules / endpoints / pods"},
	}
	for _, c := range []struct {
		name string
		ch   Changes
	}{{"VirtualService weights", r.VS}, {"endpoint added / removed", r.Endpoints}, {fmt.Sprintf("%d pods churned", min(r.Config.ChurnPods, 2*r.Config.Spec.Services)), r.Churn}} {
		s, pp := summarize(c.ch.All), summarize(c.ch.PerProxy)
		t.rows = append(t.rows, []string{c.name, fmt.Sprintf("%d of %d", c.ch.Done, c.ch.Requested), fmt.Sprint(c.ch.Affected),
			dur(s.P50), dur(s.P90), dur(s.P99), dur(s.Max), dur(pp.P50) + " / " + dur(pp.P99), dur(median(c.ch.Writes)),
			dur(perChange(c.ch.CPU.Process, c.ch.Done)) + " / " + dur(perChange(c.ch.CPU.Bench, c.ch.Done)),
			fmt.Sprintf("%d / %d / %d / %d", c.ch.FullReconciles, c.ch.RulesReconciles, c.ch.EndpointReconciles, c.ch.PodReconciles)})
	}
	return t
}

func idleTable(r *Result) table {
	m := r.Memory
	return kv("Idle CPU and memory", "The control plane runs in a process of its own (the operator's view: /proc/PID/status and /proc/PID/stat of that process); the simulated proxies and the harness run in the bench process, reported beside it. Heap figures are the control-plane process's Go heap.",
		[]string{"control-plane RSS steady / peak (VmRSS / VmHWM)", mib(m.RSS) + " / " + mib(m.HWM)},
		[]string{"bench process RSS steady / peak (proxies, harness)", mib(m.BenchRSS) + " / " + mib(m.BenchHWM)},
		[]string{"the start-up's freed memory returned to the system (" + manager.MemoryReturnsMetric + "), before the idle window", returned(r.Return)},
		[]string{"idle CPU: control-plane process / bench process", fmt.Sprintf("%.3f / %.3f cores over %s (control plane allocated %s)", r.Idle.Cores(), r.Idle.benchCores(), dur(r.Idle.Wall), mib(r.Idle.Allocated))},
		[]string{"peak live heap (reachable at the last collection)", mib(m.PeakLive)},
		[]string{"peak heap in use / allocated (with garbage)", mib(m.PeakHeapInuse) + " / " + mib(m.PeakHeapAlloc)},
		[]string{"steady heap in use / allocated (idle)", mib(m.SteadyHeapInuse) + " / " + mib(m.SteadyHeapAlloc)},
		[]string{"live heap after GC", mib(m.LiveHeap)},
		[]string{"mapped memory after the forced collections, by runtime/metrics class (resident unless returned since)", classes(m.Classes)},
		[]string{"bench process heap in use before the control plane started", mib(m.BeforeControlPlane)})
}

func classes(cs []MemoryClass) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		if c.Bytes >= 1<<20 {
			parts = append(parts, c.Name+" "+mib(c.Bytes))
		}
	}
	return strings.Join(parts, ", ")
}

func returned(m MemoryReturn) string {
	if m.After == 0 {
		return "not waited for"
	}
	cost := fmt.Sprintf("control-plane CPU in the wait %s, allocated %s", dur(m.CPU.Process), mib(m.CPU.Allocated))
	if !m.Returned {
		return fmt.Sprintf("no return within %s (%d since start; nothing worth returning, or the heap not quiet); %s", dur(m.After), m.Returns, cost)
	}
	return fmt.Sprintf("returned %s after the start-up was idle (%d returns since start); %s", dur(m.After), m.Returns, cost)
}

func holdersTable(r *Result) table {
	t := table{title: "Who holds the steady live heap", note: "From the heap profile after start-up and idle: allocations made on the simulated proxies' side are one line; the rest go to the nearest allocating function in sailplane, go-control-plane, client-go or controller-runtime (gRPC's when none is on the stack).", headers: []string{"allocated by", "live"}}
	for _, h := range r.Memory.Holders {
		t.rows = append(t.rows, []string{"`" + shortFunc(h.Func) + "`", mib(h.Bytes)})
	}
	return t
}

func sizeTable(r *Result) table {
	s := r.ConfigSize
	return kv("Configuration per proxy (sum of the received resources' proto sizes)", "",
		[]string{"median / largest proxy", kib(s.Median) + " / " + kib(s.Max)},
		[]string{"median proxy: CDS / EDS / LDS / RDS bytes", fmt.Sprintf("%s / %s / %s / %s", kib(s.PerType[typeCDS]), kib(s.PerType[typeEDS]), kib(s.PerType[typeLDS]), kib(s.PerType[typeRDS]))},
		[]string{"median proxy: clusters / load assignments / listeners / route tables", fmt.Sprintf("%d / %d / %d / %d", s.Resources[typeCDS], s.Resources[typeEDS], s.Resources[typeLDS], s.Resources[typeRDS])})
}

func translationTable(r *Result) table {
	t := r.Translation
	return kv("Translation, measured directly on the same objects (no API server, no pushes)", "",
		[]string{"model.Build (median of 5)", dur(t.ModelBuild)},
		[]string{"proxy groups / outbound halves among the proxies", fmt.Sprintf("%d / %d", t.Groups, t.OutboundKeys)},
		[]string{"mesh.Compute for every proxy (median of 3)", dur(t.Compute)},
		[]string{"snapshots of every group (one xdsserver.Builder, as publish)", dur(t.Snapshots)},
		[]string{"both, per group", dur(t.PerGroup)},
		[]string{"xds.Generate of one whole group alone (p50 / p90)", fmt.Sprintf("%s / %s (%d groups)", dur(t.Generate.P50), dur(t.Generate.P90), t.Generate.N)},
		[]string{"live heap of one reconcile's result and snapshots", mib(t.Retained)},
		[]string{"resources per group: clusters / load assignments / listeners / route tables", fmt.Sprintf("%d / %d / %d / %d", t.Resources[typeCDS], t.Resources[typeEDS], t.Resources[typeLDS], t.Resources[typeRDS])})
}

func consistencyTable(r *Result) table {
	c := r.Consistency
	first := c.First
	if first == "" {
		first = "none"
	}
	return kv("Consistency", "Every ACK of every proxy is checked cheaply (every cluster a route or listener names is in the proxy's CDS); a sample of proxies' whole configurations goes through xds.CheckConsistency after start-up.",
		[]string{"inconsistent states ACKed (proxies)", fmt.Sprintf("%d (%d)", c.Inconsistent, c.Proxies)},
		[]string{"first inconsistency", first},
		[]string{"xds.CheckConsistency on sampled proxies", fmt.Sprintf("%d proxies, %d errors", c.Sampled, len(c.SampleErrors))},
		[]string{"NACKs sent / logged by the control plane / stream reconnects", fmt.Sprintf("%d / %d / %d", c.Nacks, c.Rejections, c.Reconnects)},
		[]string{"streams refused (proxies) over the run", fmt.Sprintf("%d (%d)%s", c.Refusals, c.RefusedProxies, firstRefusal(c))},
		[]string{"proxies restarted with a new pod's token (pod churn)", fmt.Sprint(c.Restarts)},
		[]string{"TokenReviews / workload certificates over the run", fmt.Sprintf("%s / %d", reviews(r.Auth), r.Auth.Certificates)})
}

func firstRefusal(c Consistency) string {
	if c.FirstRefusal == "" {
		return ""
	}
	return "; the first: " + c.FirstRefusal
}

func injectionTable(r *Result) table {
	in := r.Injection
	return kv("Sidecar injection (webhook.Register on the control plane's webhook server; pods created through the API server)", "",
		[]string{"pods created / injected", fmt.Sprintf("%d / %d", in.Pods, in.Injected)},
		[]string{"inside the webhook p50 / p99 / max", fmt.Sprintf("%s / %s / %s", dur(in.Webhook.P50), dur(in.Webhook.P99), dur(in.Webhook.Max))},
		[]string{"pod creation round trip p50 / p99", dur(in.Create.P50) + " / " + dur(in.Create.P99)})
}

func cpuTable(r *Result) table {
	t := table{title: "CPU by phase", note: "The control-plane process's CPU from its /proc/PID/stat, split by its CPU profile: control plane is the manager's goroutines, runtime the unlabelled rest (mostly the garbage collector's background workers). The bench process (simulated proxies, harness) beside it, from /proc/self/stat. RSS peak so far is the control plane's VmHWM at the phase's end: the phase that raises it made the peak.",
		headers: []string{"phase", "wall", "control-plane process CPU", "cores", "control plane", "runtime", "bench process CPU", "RSS peak so far"}}
	for _, c := range []CPUPhase{r.Converge.CPU, r.Return.CPU, r.Idle, r.VS.CPU, r.Endpoints.CPU, r.Churn.CPU, r.Injection.CPU} {
		if c.Name == "" {
			continue
		}
		t.rows = append(t.rows, []string{c.Name, dur(c.Wall), dur(c.Process), fmt.Sprintf("%.2f", c.Cores()),
			dur(c.ByRole[roleControlPlane]), dur(c.ByRole["runtime"]), dur(c.Bench), mib(c.HWM)})
	}
	return t
}

// profileTables list the control plane's costliest functions per phase.
func profileTables(r *Result) []table {
	var out []table
	for _, c := range []CPUPhase{r.Converge.CPU, r.VS.CPU, r.Endpoints.CPU} {
		if len(c.Top) == 0 {
			continue
		}
		t := table{title: "Control plane profile: " + c.Name, headers: []string{"function (sailplane, go-control-plane)", "cumulative", "function (any)", "flat"}}
		for i := 0; i < max(len(c.Top), len(c.TopFlat)); i++ {
			row := []string{"", "", "", ""}
			if i < len(c.Top) {
				row[0], row[1] = "`"+shortFunc(c.Top[i].Name)+"`", dur(c.Top[i].Cum)
			}
			if i < len(c.TopFlat) {
				row[2], row[3] = "`"+shortFunc(c.TopFlat[i].Name)+"`", dur(c.TopFlat[i].Flat)
			}
			t.rows = append(t.rows, row)
		}
		out = append(out, t)
	}
	return out
}

func statusWrittenOr(c Converge) string {
	if c.StatusWritten == 0 {
		return "not within the timeout"
	}
	return dur(c.StatusWritten)
}
