package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// ChildFlag makes sailbench run one size from a JSON config and write the
// JSON result.
const ChildFlag = "--child"

func runChild(ctx context.Context, self, prefix string, c Config, command string, log io.Writer) (*Result, error) {
	in, outPath := prefix+"-config.json", prefix+"-result.json"
	b, err := json.Marshal(childInput{Config: c, Command: command})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(in, b, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, ChildFlag, in, outPath)
	cmd.Stdout, cmd.Stderr = log, log
	// On cancellation the child is asked to stop, so it stops its API
	// server and etcd; it is killed only if it does not.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 2 * time.Minute
	if err := cmd.Run(); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(outPath)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	return res, json.Unmarshal(raw, res)
}

type childInput struct {
	Config  Config
	Command string
}

// RunChild is the child side of RunScale.
func RunChild(ctx context.Context, in, out string, log io.Writer) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var c childInput
	if err := json.Unmarshal(raw, &c); err != nil {
		return err
	}
	res := Execute(ctx, c.Config, c.Command, log)
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(out, b, 0o644)
}

// growthMetric is one figure followed across sizes.
type growthMetric struct {
	name  string
	value func(*Result) (float64, bool)
}

func secs(d time.Duration) (float64, bool)   { return d.Seconds(), d > 0 }
func millis(d time.Duration) (float64, bool) { return float64(d) / 1e6, d > 0 }
func mibs(b uint64) (float64, bool)          { return float64(b) / (1 << 20), b > 0 }

func p99(c Changes) (float64, bool) { return millis(summarize(c.All).P99) }

func complete(c Converge) bool { return c.Proxies > 0 && c.Completed == c.Proxies }

// growthMetrics are issue 15's figures first (what an operator sees),
// then the ones that explain them.
var growthMetrics = []growthMetric{
	{"control-plane RSS, peak (VmHWM), MiB", func(r *Result) (float64, bool) { return mibs(r.Memory.HWM) }},
	{"control-plane RSS, steady (VmRSS, idle), MiB", func(r *Result) (float64, bool) { return mibs(r.Memory.RSS) }},
	{"Go heap: peak live, MiB", func(r *Result) (float64, bool) { return mibs(r.Memory.PeakLive) }},
	{"Go heap: steady live, MiB", func(r *Result) (float64, bool) { return mibs(r.Memory.LiveHeap) }},
	{"Go heap: peak in use (with garbage), MiB", func(r *Result) (float64, bool) { return mibs(r.Memory.PeakHeapInuse) }},
	{"time to configure every proxy (from start), s", func(r *Result) (float64, bool) {
		return r.Converge.FromStart.Seconds(), complete(r.Converge)
	}},
	{"control-plane CPU to configure (start until idle), s", func(r *Result) (float64, bool) {
		return r.Converge.CPU.Process.Seconds(), complete(r.Converge) && r.Converge.CPU.Wall > 0
	}},
	{"endpoint change, p99 ms", func(r *Result) (float64, bool) { return p99(r.Endpoints) }},
	{"VirtualService change, p99 ms", func(r *Result) (float64, bool) { return p99(r.VS) }},
	{"config per proxy (median), KiB", func(r *Result) (float64, bool) {
		return float64(r.ConfigSize.Median) / 1024, r.ConfigSize.Median > 0
	}},
	{"idle CPU, cores", func(r *Result) (float64, bool) { return r.Idle.Cores(), r.Idle.Wall > 0 }},
	{"setup: objects created, s", func(r *Result) (float64, bool) { return secs(r.Setup.Took) }},
	{"full reconcile, median s", func(r *Result) (float64, bool) { return secs(median(r.Converge.ReconcileTook)) }},
	{"VirtualService change, p50 ms", func(r *Result) (float64, bool) { return millis(median(r.VS.All)) }},
	{"endpoint change, p50 ms", func(r *Result) (float64, bool) { return millis(median(r.Endpoints.All)) }},
	{"pod churn, p50 ms", func(r *Result) (float64, bool) { return millis(median(r.Churn.All)) }},
	{"control-plane CPU per VirtualService change, s", func(r *Result) (float64, bool) {
		return secs(perChange(r.VS.CPU.ByRole[roleControlPlane], r.VS.Done))
	}},
	{"model.Build, ms", func(r *Result) (float64, bool) { return millis(r.Translation.ModelBuild) }},
	{"mesh.Compute for every proxy, ms", func(r *Result) (float64, bool) { return millis(r.Translation.Compute) }},
	{"snapshots of every group, ms", func(r *Result) (float64, bool) { return millis(r.Translation.Snapshots) }},
	{"xds.Generate of one whole group, ms", func(r *Result) (float64, bool) { return millis(r.Translation.Generate.P50) }},
	{"proxy groups", func(r *Result) (float64, bool) { return float64(r.Translation.Groups), r.Translation.Groups > 0 }},
	{"live heap of one reconcile's result, MiB", func(r *Result) (float64, bool) { return mibs(r.Translation.Retained) }},
}

// growthRuns are the rows naming each run: its proxies, the machine's
// load and how long it took.
var growthRuns = []struct {
	name  string
	value func(*Result) string
}{
	{"simulated proxies", func(r *Result) string { return fmt.Sprint(r.Config.Proxies) }},
	{"load average (1, 5, 15 min) at start → end", func(r *Result) string { return r.Machine.LoadAvg + " → " + r.LoadAtEnd }},
	{"run took", func(r *Result) string { return dur(r.Took) }},
}

// growthTable reports each metric per size and its least-squares slope
// per 1000 services.
func growthTable(rs []*Result) table {
	t := table{title: fmt.Sprintf("Growth: each metric per size at %d proxies, and its slope per 1000 services", rs[0].Config.Proxies), note: "Each size is a run of its own (same flags, its own API server and processes; the reference run is its size's row). The sizes vary the services at a fixed number of proxies, unscoped; a size that was stopped early (why follows) has empty cells for what it did not reach."}
	t.headers = []string{"metric"}
	for _, r := range rs {
		h := fmt.Sprintf("%d services", r.Config.Spec.Services)
		if r.Aborted != "" {
			h += " (stopped early)"
			t.note += fmt.Sprintf(" %s stopped: %s.", h[:len(h)-len(" (stopped early)")], r.Aborted)
			if strings.Contains(r.Aborted, "RSS") {
				t.note += " What fills the memory is what the heap target's explanation names (state per proxy and resource), with four times the resources per proxy."
			}
		}
		if len(r.Errors) > 0 {
			t.note += fmt.Sprintf(" The %d-service run's errors: %s.", r.Config.Spec.Services, strings.Join(r.Errors, "; "))
		}
		t.headers = append(t.headers, h)
	}
	t.headers = append(t.headers, "slope per 1000 services")
	for _, g := range growthRuns {
		row := []string{g.name}
		for _, r := range rs {
			row = append(row, g.value(r))
		}
		t.rows = append(t.rows, append(row, ""))
	}
	for _, m := range growthMetrics {
		row := []string{m.name}
		var xs, ys []float64
		for _, r := range rs {
			v, ok := m.value(r)
			if !ok {
				row = append(row, "")
				continue
			}
			row = append(row, num(v))
			xs, ys = append(xs, float64(r.Config.Spec.Services)), append(ys, v)
		}
		s := slope(xs, ys) * 1000
		if math.IsNaN(s) {
			row = append(row, "")
		} else {
			row = append(row, num(s))
		}
		t.rows = append(t.rows, row)
	}
	return t
}

func num(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}
