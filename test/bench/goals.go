package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Issue 15's goals: what an operator of the reference mesh (1000
// services, 2000 proxies) sees of the control-plane process.
const (
	goalPeakRSS      = 600 << 20
	goalSteadyRSS    = 350 << 20
	goalStart        = 8 * time.Second
	goalEndpointP99  = 150 * time.Millisecond
	goalVSP99        = 250 * time.Millisecond
	goalConfigureCPU = 4 * time.Second
	// The reference mesh the goals are set for.
	referenceServices, referenceProxies = 1000, 2000
)

// Goals judges the run against issue 15's goals.
func Goals(r *Result) []Target {
	m, c := r.Memory, r.Converge
	out := []Target{
		bytesGoal("control-plane RSS, peak (VmHWM)", m.HWM, goalPeakRSS),
		bytesGoal("control-plane RSS, steady after start-up (VmRSS, idle)", m.RSS, goalSteadyRSS),
	}
	start := Target{Name: fmt.Sprintf("every proxy fully configured after a mass connect (%d proxies)", r.Config.Proxies), Goal: "≤ " + dur(goalStart) + " from start"}
	switch {
	case c.Proxies == 0 || c.Completed < c.Proxies:
		start.Status, start.Measured = NotMet, fmt.Sprintf("%d of %d proxies complete", c.Completed, c.Proxies)
		if c.Proxies == 0 {
			start.Status = NotMeasured
		}
	default:
		start.Status, start.Measured = status(c.FromStart <= goalStart), dur(c.FromStart)
	}
	out = append(out, start,
		p99Goal("one endpoint added → every proxy ACKed", r.Endpoints, goalEndpointP99),
		p99Goal("one VirtualService weight change → every proxy ACKed", r.VS, goalVSP99))
	cpu := Target{Name: fmt.Sprintf("control-plane CPU to configure %d proxies (start until idle)", r.Config.Proxies), Goal: "≤ " + dur(goalConfigureCPU)}
	if c.CPU.Wall == 0 || c.Completed < c.Proxies {
		cpu.Status, cpu.Measured = NotMeasured, "the start-up did not complete"
	} else {
		cpu.Status = status(c.CPU.Process <= goalConfigureCPU)
		cpu.Measured = fmt.Sprintf("%s cpu (bench process: %s)", dur(c.CPU.Process), dur(c.CPU.Bench))
	}
	return append(out, cpu)
}

func bytesGoal(name string, got, goal uint64) Target {
	t := Target{Name: name, Goal: "≤ " + mib(goal)}
	if got == 0 {
		t.Status, t.Measured = NotMeasured, "not read"
		return t
	}
	t.Status, t.Measured = status(got <= goal), mib(got)
	return t
}

func p99Goal(name string, c Changes, goal time.Duration) Target {
	t := Target{Name: name, Goal: "p99 ≤ " + dur(goal)}
	if c.Done == 0 {
		t.Status, t.Measured = NotMeasured, "no change completed"
		return t
	}
	s := summarize(c.All)
	t.Status = status(s.P99 <= goal && c.Error == "")
	t.Measured = fmt.Sprintf("p99 %s over %d changes", dur(s.P99), s.N)
	return t
}

// goalsNote says whether the run is at the size the goals are set for.
func goalsNote(r *Result) string {
	if r.Config.Spec.Services == referenceServices && r.Config.Proxies == referenceProxies {
		return "At the reference mesh the goals are set for."
	}
	return fmt.Sprintf("This run is %d services and %d proxies; the goals are set for the reference mesh (%d services, %d proxies), so a status here is not the issue's verdict.",
		r.Config.Spec.Services, r.Config.Proxies, referenceServices, referenceProxies)
}

// goalsTable judges each of the report's runs (reference, scoped) against
// the goals, and says the load the machine was under during each.
func (rep *Report) goalsTable() table {
	runs, names := rep.goalRuns()
	t := table{headers: []string{"figure", "goal"}}
	judged := make([][]Target, len(runs))
	for i, r := range runs {
		t.headers = append(t.headers, names[i], "status")
		judged[i] = Goals(r)
	}
	for k, g := range judged[0] {
		row := []string{g.Name, g.Goal}
		for i := range runs {
			row = append(row, judged[i][k].Measured, judged[i][k].Status)
		}
		t.rows = append(t.rows, row)
	}
	for _, x := range []struct {
		name  string
		value func(*Result) string
	}{
		{"load average (1, 5, 15 min) at the run's start → end", func(r *Result) string { return r.Machine.LoadAvg + " → " + r.LoadAtEnd }},
		{"run took, started at", func(r *Result) string { return dur(r.Took) + ", " + r.Start.UTC().Format(time.RFC3339) }},
	} {
		row := []string{x.name, ""}
		for _, r := range runs {
			row = append(row, x.value(r), "")
		}
		t.rows = append(t.rows, row)
	}
	return t
}

func (rep *Report) writeGoals(w io.Writer) {
	t := rep.goalsTable()
	fmt.Fprintf(w, "## Goals (issue 15: what an operator sees)\n\n%s The machine has 2 cores shared with other work: read each run's figures with its load average.\n\n", goalsNote(rep.Main))
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(t.headers, " | "), strings.Repeat(" --- |", len(t.headers)))
	for _, row := range t.rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = cell(c)
			// Status columns follow each run's measured column.
			if i >= 3 && i%2 == 1 && c != "" {
				cells[i] = "**" + c + "**"
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
}
