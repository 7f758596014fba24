package bench

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what a `make bench` invocation prints and writes: the
// reference run's figures, the scoped run beside it, and the growth over
// several sizes.
type Report struct {
	// Main is the reference run, whose figures and targets are reported.
	Main *Result
	// Scoped is the reference mesh with every workload's Sidecar (nil:
	// not run).
	Scoped *Result `json:",omitempty"`
	// Connections is the reference mesh with one connection per proxy
	// (nil: not run).
	Connections *Result `json:",omitempty"`
	// Scale holds every growth size's run, smallest first (the reference
	// run among them).
	Scale []*Result
}

// goalRuns are the runs the goals table judges, with their column names.
func (rep *Report) goalRuns() ([]*Result, []string) {
	runs, names := []*Result{rep.Main}, []string{runName(rep.Main)}
	if rep.hasScoped() {
		runs, names = append(runs, rep.Scoped), append(names, runName(rep.Scoped))
	}
	if c := rep.Connections; c != nil && c != rep.Main {
		runs, names = append(runs, c), append(names, runName(c))
	}
	return runs, names
}

// hasScoped: a scoped run to set beside the main one.
func (rep *Report) hasScoped() bool { return rep.Scoped != nil && rep.Scoped != rep.Main }

func runName(r *Result) string {
	if r.Config.Conns >= r.Config.Proxies && r.Config.Spec.Scoped == 0 {
		return "reference, a connection per proxy"
	}
	if r.Config.Spec.Scoped > 0 {
		return fmt.Sprintf("scoped (%d services per Sidecar)", r.Config.Spec.Scoped)
	}
	return "reference, unscoped"
}

// Print writes the report as plain-text tables.
func (rep *Report) Print(w io.Writer) {
	r := rep.Main
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nsailplane scale benchmark: %d services, %d proxies (%s)\n", r.Config.Spec.Services, r.Config.Proxies, dur(r.Took))
	if r.Aborted != "" {
		fmt.Fprintf(tw, "ABORTED: %s\n", r.Aborted)
	}
	g := rep.goalsTable()
	fmt.Fprintf(tw, "\n%s\n", strings.Join(g.headers, "\t"))
	for _, row := range g.rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	fmt.Fprintln(tw, "\nTarget (issue 7)\tGoal\tMeasured\tStatus")
	for _, t := range rep.targets() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Goal, t.Measured, t.Status)
	}
	tables := figures(r)
	if rep.hasScoped() {
		tables = append(tables, scopedTable(r, rep.Scoped))
	}
	if len(rep.Scale) > 0 {
		tables = append(tables, growthTable(rep.Scale))
	}
	for _, t := range tables {
		fmt.Fprintf(tw, "\n%s\n", t.title)
		fmt.Fprintln(tw, strings.Join(t.headers, "\t"))
		for _, row := range t.rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(tw, "\nerror: %s\n", e)
	}
	_ = tw.Flush()
}

// Markdown writes docs/benchmarks.md.
func (rep *Report) Markdown(w io.Writer) {
	r := rep.Main
	fmt.Fprintf(w, "# sailplane scale benchmark\n\n")
	fmt.Fprintf(w, "Written by `make bench` (`test/bench`, `test/bench/cmd/sailbench`) from one invocation: the reference run below, the same mesh scoped by Sidecars, and the growth table; running it again overwrites this file. ")
	fmt.Fprintf(w, "The harness starts the real kube-apiserver and etcd (envtest), creates a synthetic mesh through the API server, runs the real control plane in a process of its own (`manager.New`: the ADS server, the mesh reconciler and the status writer, plus the injector through `webhook.Register`; the bench binary re-executed, so its RSS and CPU are what an operator sees) and connects simulated sidecars that speak ADS over loopback gRPC the way Envoy does (CDS and LDS wildcard, then EDS and RDS by name, every response ACKed), each authenticated on the control plane's TLS port with a service-account token bound to its pod.\n\n")
	writeMachine(w, r)
	rep.writeGoals(w)
	writeTargets(w, rep.targets())
	fmt.Fprintf(w, "## Figures (%d services, %d proxies)\n\n", r.Config.Spec.Services, r.Config.Proxies)
	for _, t := range figures(r) {
		writeTable(w, t, 3)
	}
	for _, t := range profileTables(r) {
		writeTable(w, t, 3)
	}
	if rep.hasScoped() {
		writeScoped(w, r, rep.Scoped)
	}
	if len(rep.Scale) > 0 {
		fmt.Fprintf(w, "## Growth with the mesh\n\n")
		writeTable(w, growthTable(rep.Scale), 3)
	}
	writeProblems(w, r)
	fmt.Fprint(w, methodNotes)
}

func writeMachine(w io.Writer, r *Result) {
	m := r.Machine
	fmt.Fprintf(w, "## Machine and command\n\n")
	fmt.Fprintf(w, "- %d cores (`runtime.NumCPU`), %s; %s memory (%s available at the start)\n", m.Cores, m.CPUModel, mib(m.Memory), mib(m.Available))
	fmt.Fprintf(w, "- %s, %s\n", m.GoVersion, m.Kernel)
	if m.MemoryLimit > 0 {
		fmt.Fprintf(w, "- GOMEMLIMIT %s: the Go runtime collects harder near it, as a control plane with a container memory limit would be set up; it changes no live-heap figure\n", mib(uint64(m.MemoryLimit)))
	}
	fmt.Fprintf(w, "- load average (1, 5, 15 min) at the start: %s; at the end: %s. The machine is shared with other work, so CPU-bound timings carry its noise.\n", m.LoadAvg, r.LoadAtEnd)
	fmt.Fprintf(w, "- sailplane at commit %s; run on %s, took %s\n\n", m.Commit, r.Start.UTC().Format(time.RFC3339), dur(r.Took))
	fmt.Fprintf(w, "Reproduce:\n\n```sh\n%s\n```\n\n", r.Command)
	if r.Aborted != "" {
		fmt.Fprintf(w, "**The run was stopped early: %s.** Figures of the phases it did not reach are empty.\n\n", r.Aborted)
	}
}

// targets judges the main run; a target it did not reach is judged on a
// --scale run of the same number of services instead, saying so.
func (rep *Report) targets() []Target {
	out := Targets(rep.Main)
	for i, t := range out {
		if t.Status != NotMeasured {
			continue
		}
		for _, alt := range rep.Scale {
			if alt == rep.Main || alt.Config.Spec.Services != rep.Main.Config.Spec.Services {
				continue
			}
			if a := Targets(alt)[i]; a.Status != NotMeasured {
				a.Name = t.Name
				a.Measured = fmt.Sprintf("with %d proxies (the %d-proxy run did not get this far): %s", alt.Config.Proxies, rep.Main.Config.Proxies, a.Measured)
				out[i] = a
				break
			}
		}
	}
	return out
}

func writeTargets(w io.Writer, targets []Target) {
	fmt.Fprintf(w, "## Targets (issue 7)\n\n| target | goal | measured | status |\n| --- | --- | --- | --- |\n")
	for _, t := range targets {
		fmt.Fprintf(w, "| %s | %s | %s | **%s** |\n", cell(t.Name), cell(t.Goal), cell(t.Measured), t.Status)
	}
	fmt.Fprintln(w)
	for _, t := range targets {
		if t.Cause == "" {
			continue
		}
		fmt.Fprintf(w, "### %s: %s\n\n%s\n\n%s\n\n", t.Name, t.Status, t.Cause, t.Plan)
	}
}

func writeTable(w io.Writer, t table, level int) {
	fmt.Fprintf(w, "%s %s\n\n", strings.Repeat("#", level), t.title)
	if t.note != "" {
		fmt.Fprintf(w, "%s\n\n", t.note)
	}
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(t.headers, " | "), strings.Repeat(" --- |", len(t.headers)))
	for _, row := range t.rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = cell(c)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func writeProblems(w io.Writer, r *Result) {
	if len(r.Errors) == 0 && len(r.LogErrors) == 0 && len(r.Consistency.SampleErrors) == 0 {
		return
	}
	fmt.Fprintf(w, "## Errors\n\n")
	for _, e := range r.Errors {
		fmt.Fprintf(w, "- run: %s\n", e)
	}
	for _, e := range r.LogErrors {
		fmt.Fprintf(w, "- control plane log: %s\n", e)
	}
	for _, e := range r.Consistency.SampleErrors[:min(10, len(r.Consistency.SampleErrors))] {
		fmt.Fprintf(w, "- xds.CheckConsistency: %s\n", e)
	}
	fmt.Fprintln(w)
}

const methodNotes = `## How it measures

- **One invocation, several runs.** ` + "`make bench`" + ` runs the reference mesh (--services, --proxies, unscoped), then the same mesh with every workload's Sidecar listing --scoped-run services, then each --scale size at --scale-proxies (the reference run is its own size's row), each run in a process of its own with a fresh API server. --parts runs some of them; with --from-json the others come from the saved results.
- **Mesh.** N services over the namespaces, each with one HTTP port (http, 8080) and an EndpointSlice listing its two pods (addresses in 10.16.0.0/12; targetRef to the pod). A seeded share of the services (default 30%) are canaries: a DestinationRule with subsets v1/v2 and a VirtualService splitting traffic by weight (a third of them also route a header to v2 with a timeout and retries); their pods are v1 and v2, the others' two pods are replicas of v1. A group of identical proxies is therefore a Deployment, as in a real cluster. Pods are created injected (what sailctl kube-inject gives with the control plane's webhook settings), so the control plane sees meshed endpoints: clusters verify the service's identity (its service account's SPIFFE id), endpoints carry tlsMode, and pod objects are an injected pod's size.
- **Proxies.** Proxy i speaks for pod i (node id ` + "`sidecar~IP~POD.NS~NS.svc.cluster.local`" + `); with more proxies than pods, the extra ones reuse pods under other IPs. Each asks the way Envoy does (CDS and LDS by wildcard, then EDS and RDS by name, over state of the world or Delta), with Envoy's HTTP/2 windows, and ACKs what it accepts. Like Envoy, a state-of-the-world proxy keeps the load assignments and route tables a response leaves out and drops those it stops asking for. Every proxy holds what it ACKed; responses are read off the wire (protowire over the received bytes), a resource is decoded only the first time any proxy sees its bytes, and resources and sets are interned by content, so holding 2000 configurations costs the process little.
- **Authentication.** Every service has a ServiceAccount of its own (1000 at the reference mesh) and its pods run as it; the plaintext xDS port is off. Once the pods exist, the harness requests one token per proxy with TokenRequest (audience ` + "`istio-ca`" + `, bound to the proxy's pod by name and UID, 8 requests in parallel): that is set-up, as the kubelet's in a cluster, and is reported apart from the control plane's figures. The control plane starts with no CA and creates one; the proxies connect once it has published its root (ConfigMap ` + "`istio-ca-root-cert`" + `) in every mesh namespace, over TLS verified against that root with the server name ` + "`sailplane.sailplane-system.svc`" + `. In the reference and scoped runs the proxies' streams share --conns connections (16 by default, so the simulated side does not take the cores the control plane is measured on), each stream carrying its own token (per-RPC credentials on the stream); the connections run gives every proxy a connection of its own, as Envoys connect, and shows what each connection costs the control plane. TokenReviews and workload certificates are the control plane's own counters (` + "`sailplane_xds_token_reviews_total`" + `, ` + "`sailplane_workload_certificates_issued_total`" + `), read from controller-runtime's metrics registry before the start and once the controller is idle. A stream ended with Unauthenticated or PermissionDenied is a refusal: refusals are counted per proxy, the start-up fails 5 s after the first one and the command exits non-zero. Pod churn recreates pods, which gives them new UIDs: their proxies are restarted, as a new pod's sidecar would be, with a token bound to the new pod (requested inside the churn's write) and the new address in the node id.
- **Complete and consistent.** A proxy is complete when it has ACKed CDS, EDS, LDS and RDS and holds a load assignment for every EDS cluster and every route table its listeners name. Every ACKed state is also checked for a route or listener naming a cluster the proxy does not have.
- **Changes.** One at a time, each after the mesh controller has been idle for 300 ms (workqueue depth and active workers from controller-runtime's metrics). A VirtualService change shifts the weights and renames the weighted route; a proxy has it when its route table holds the new name. An endpoint change adds an address to a service's EndpointSlice, the next removes it; a proxy has it when the load assignment holds (or no longer holds) the address. Pod churn deletes the pods and takes them out of their slices, then recreates them with new addresses and puts them back; a proxy has it when every affected load assignment lists the new addresses and none of the old. The affected proxies are the ones whose configuration includes the changed service. Timings run from the start of the write to the ACK.
- **CPU and memory.** The control plane runs in its own process (the bench binary re-executed with ` + "`--control-plane`" + `, answering the bench process's requests over two pipes); the simulated proxies and the harness stay in the bench process and reach it over loopback only (xDS on its TLS port, admissions through the API server). Its CPU is read from /proc/PID/stat, its RSS from /proc/PID/status (VmRSS steady, VmHWM peak; the steady RSS is read after two forced collections, which stand for the runtime's two-minute forced one, once the returner has given back what they found, or after 16 s when it has not: the runtime's scavenger may have returned it first); each phase runs under a CPU profile inside that process, which splits its CPU into the manager's goroutines and the runtime's; its Go heap peaks are sampled there every 200 ms. The bench process's CPU and RSS are reported beside them. A run stops itself when the two processes' RSS together pass --max-rss (by default three quarters of the memory available when the invocation started). The control plane runs with its defaults unless --memory-limit or --xds-push-budget-mib say otherwise.
- **Idle and injection.** Idle CPU is measured once the controller is quiet, every VirtualService and DestinationRule has its status for its generation (how long that took is a start-up figure) and the control plane has returned the start-up's freed memory to the system (` + "`sailplane_memory_returns_total`" + ` grew; at most 16 s is waited, and the wait's CPU is the "memory return" phase). The injection namespace is created, and its reconcile allowed to finish, before pod creations are timed; the time inside the webhook is measured around its handler.
- **Budgets.** A kind of change stops starting new changes after --phase-budget (three always run); the table says how many were done.
`

// Failed is why the invocation must not pass: a run whose proxies the
// control plane refused.
func (rep *Report) Failed() error {
	var errs []error
	seen := map[*Result]bool{}
	for _, r := range append([]*Result{rep.Main, rep.Scoped}, rep.Scale...) {
		if r == nil || seen[r] {
			continue
		}
		seen[r] = true
		if err := r.Failed(); err != nil {
			errs = append(errs, fmt.Errorf("%d services, %s: %w", r.Config.Spec.Services, scoping(r.Config.Spec.Scoped), err))
		}
	}
	return errors.Join(errs...)
}
