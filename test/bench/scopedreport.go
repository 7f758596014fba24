package bench

import (
	"fmt"
	"io"
	"time"
)

// scopedTable sets the scoped run's headline figures beside the
// reference run's: the same mesh, with each workload's Sidecar listing
// the services it calls.
func scopedTable(ref, sc *Result) table {
	t := table{
		title:   fmt.Sprintf("Scoped run: each workload's Sidecar lists the %d services it calls", sc.Config.Spec.Scoped),
		note:    fmt.Sprintf("A run of its own in the same invocation (%d services, %d proxies, the same flags otherwise; its own API server and processes). Figures are the control-plane process's.", sc.Config.Spec.Services, sc.Config.Proxies),
		headers: []string{"figure", "reference, unscoped", fmt.Sprintf("scoped %d", sc.Config.Spec.Scoped)},
	}
	for _, f := range scopedFigures {
		t.rows = append(t.rows, []string{f.name, f.value(ref), f.value(sc)})
	}
	return t
}

var scopedFigures = []struct {
	name  string
	value func(*Result) string
}{
	{"RSS peak / steady", func(r *Result) string { return mib(r.Memory.HWM) + " / " + mib(r.Memory.RSS) }},
	{"Go heap: peak live / steady live", func(r *Result) string { return mib(r.Memory.PeakLive) + " / " + mib(r.Memory.LiveHeap) }},
	{"every proxy fully configured after a mass connect", func(r *Result) string { return completeOr(r.Converge, r.Converge.FromStart) }},
	{"CPU to configure every proxy (start until idle)", func(r *Result) string { return dur(r.Converge.CPU.Process) + " cpu" }},
	{"one endpoint added → every proxy ACKed, p99", func(r *Result) string { return changeP99(r.Endpoints) }},
	{"one VirtualService weight change → every proxy ACKed, p99", func(r *Result) string { return changeP99(r.VS) }},
	{"idle CPU", func(r *Result) string { return fmt.Sprintf("%.3f cores", r.Idle.Cores()) }},
	{"median proxy configuration (CDS / EDS / LDS / RDS)", func(r *Result) string {
		s := r.ConfigSize
		return fmt.Sprintf("%s (%s / %s / %s / %s)", kib(s.Median), kib(s.PerType[typeCDS]), kib(s.PerType[typeEDS]), kib(s.PerType[typeLDS]), kib(s.PerType[typeRDS]))
	}},
	{"load average at start → end", func(r *Result) string { return r.Machine.LoadAvg + " → " + r.LoadAtEnd }},
	{"run started, took", func(r *Result) string { return r.Start.UTC().Format(time.RFC3339) + ", " + dur(r.Took) }},
}

func changeP99(c Changes) string {
	if c.Done == 0 {
		return "no change completed"
	}
	return fmt.Sprintf("%s over %d changes", dur(summarize(c.All).P99), c.Done)
}

// writeScoped is the scoped run's section: the comparison, then what went
// wrong in it.
func writeScoped(w io.Writer, ref, sc *Result) {
	fmt.Fprintf(w, "## Scoped run\n\n")
	if sc.Aborted != "" {
		fmt.Fprintf(w, "**The scoped run was stopped early: %s.**\n\n", sc.Aborted)
	}
	writeTable(w, scopedTable(ref, sc), 3)
	for _, e := range sc.Errors {
		fmt.Fprintf(w, "- scoped run: %s\n", e)
	}
	if len(sc.Errors) > 0 {
		fmt.Fprintln(w)
	}
}
