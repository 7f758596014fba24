package bench

import (
	"fmt"
	"io"
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

func writeGoals(w io.Writer, r *Result) {
	fmt.Fprintf(w, "## Goals (issue 15: what an operator sees)\n\n%s\n\n| figure | goal | measured | status |\n| --- | --- | --- | --- |\n", goalsNote(r))
	for _, t := range Goals(r) {
		fmt.Fprintf(w, "| %s | %s | %s | **%s** |\n", cell(t.Name), cell(t.Goal), cell(t.Measured), t.Status)
	}
	fmt.Fprintln(w)
}
