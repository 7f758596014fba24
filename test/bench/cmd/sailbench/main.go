// Command sailbench is `make bench`: sailplane's scale benchmark against
// the real API server and the real control plane, with simulated
// sidecars. One invocation runs the reference mesh, the same mesh scoped
// by Sidecars and the growth sizes, prints the report and writes
// docs/benchmarks.md. Flags and wiring only; the benchmark lives in
// test/bench.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sailplane/sailplane/test/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) == 4 && os.Args[1] == bench.ChildFlag {
		if err := bench.RunChild(ctx, os.Args[2], os.Args[3], os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "sailbench:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) == 3 && os.Args[1] == bench.ControlPlaneFlag {
		if err := bench.ServeControlPlane(ctx, os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "sailbench control plane:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sailbench:", err)
		os.Exit(1)
	}
}

type options struct {
	cfg          bench.Config
	out          string
	saveJSON     string
	fromJSON     string
	parts        string
	partsSet     bool
	scopedRun    int
	scale        string
	scaleProxies int
	maxRSS       int
}

func parse(args []string) (*options, error) {
	o := &options{}
	c := &o.cfg
	fs := flag.NewFlagSet("sailbench", flag.ContinueOnError)
	fs.IntVar(&c.Spec.Services, "services", 1000, "services in the synthetic mesh (2 pods each)")
	fs.IntVar(&c.Spec.Namespaces, "namespaces", 20, "namespaces the services are spread over")
	fs.Float64Var(&c.Spec.RuleShare, "rule-share", 0.3, "share of services with DestinationRule subsets and a weighted VirtualService")
	fs.IntVar(&c.Spec.Scoped, "scoped", 0, "give each service's workloads a Sidecar listing this many services they call (0: no Sidecars)")
	fs.Uint64Var(&c.Spec.Seed, "seed", 1, "seed of the mesh and of the changes")
	fs.IntVar(&c.Proxies, "proxies", 2000, "simulated sidecars")
	fs.Float64Var(&c.DeltaShare, "delta-share", 0.5, "share of the proxies speaking Delta xDS (the rest: state of the world)")
	fs.IntVar(&c.Conns, "conns", 16, "gRPC connections the proxies' streams share")
	fs.IntVar(&c.Changes, "changes", 20, "VirtualService changes, and endpoint changes, to time")
	fs.IntVar(&c.ChurnPods, "churn-pods", 200, "pods deleted and recreated at once per churn round")
	fs.IntVar(&c.ChurnRounds, "churn-rounds", 3, "pod churn rounds to time")
	fs.IntVar(&c.InjectPods, "inject-pods", 500, "pods created through the injection webhook")
	fs.DurationVar(&c.Idle, "idle", 10*time.Second, "how long idle CPU is measured")
	fs.DurationVar(&c.PhaseBudget, "phase-budget", 20*time.Second, "stop starting new changes of a kind after this long (3 always run)")
	fs.DurationVar(&c.Timeout, "timeout", 20*time.Minute, "longest wait for the proxies or the control plane (generous: the 4000-service size on a loaded 2-core machine)")
	fs.IntVar(&c.Sample, "sample", 20, "proxies whose whole configuration goes through xds.CheckConsistency")
	fs.IntVar(&c.TranslateSample, "translate-sample", 30, "proxy groups translated directly to time xds.Generate")
	fs.IntVar(&o.maxRSS, "max-rss-mib", 0, "stop a run when the control plane's and the bench process's RSS together pass this (0: three quarters of the memory available at start)")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write each phase's CPU profile next to this path (bench.pprof → bench.converge.pprof, ...)")
	fs.StringVar(&c.MemoryLimit, "memory-limit", "auto", "the control plane's --memory-limit (Go soft memory limit: auto, off or a size such as 1536MiB)")
	fs.IntVar(&c.PushBudgetMiB, "xds-push-budget-mib", -1, "the control plane's --xds-push-budget-mib (-1: its default)")
	fs.StringVar(&c.PeakHeapProfile, "peak-heap-profile", "", "write the control plane's heap profile at its live heap's peak here")
	fs.BoolVar(&c.Verbose, "verbose", false, "print the control plane's log")
	fs.StringVar(&o.out, "out", "docs/benchmarks.md", "Markdown report to write (empty: none)")
	fs.StringVar(&o.saveJSON, "save-json", "", "also save the results as JSON here")
	fs.StringVar(&o.fromJSON, "from-json", "", "start from the results saved with --save-json: run only the --parts given (none by default), then print and write the report")
	fs.StringVar(&o.parts, "parts", strings.Join(bench.AllParts, ","), "what to run: reference (--services, --proxies), scoped (the reference mesh with --scoped-run), connections (the reference mesh with a connection per proxy), growth (--scale)")
	fs.IntVar(&o.scopedRun, "scoped-run", 10, "services each workload's Sidecar lists in the scoped run (0: no scoped run)")
	fs.StringVar(&o.scale, "scale", "250,1000,4000", `the growth table's sizes (services), each a run of its own; the size of the reference run reuses it`)
	fs.IntVar(&o.scaleProxies, "scale-proxies", 0, "proxies in every --scale size (0: --proxies)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) { o.partsSet = o.partsSet || f.Name == "parts" })
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.Spec.Services < 1 || c.Proxies < 1 || c.Spec.Namespaces < 1 {
		return nil, fmt.Errorf("--services, --proxies and --namespaces must be at least 1")
	}
	c.Commit = bench.GitCommit()
	c.MaxRSS = uint64(o.maxRSS) << 20
	if o.maxRSS == 0 {
		// Room for the 4000-service size on a shared machine, with a
		// quarter of what was free left to the others.
		c.MaxRSS = memAvailable() / 4 * 3
	}
	return o, nil
}

func run(ctx context.Context, args []string) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	command := "make bench"
	if limit := os.Getenv("GOMEMLIMIT"); limit != "" {
		command = "GOMEMLIMIT=" + limit + " " + command
	}
	if len(args) > 0 {
		command += " BENCH_ARGS='" + strings.Join(args, " ") + "'"
	}
	suite, err := o.suite()
	if err != nil {
		return err
	}
	var prev *bench.Report
	if o.fromJSON != "" {
		prev = &bench.Report{}
		if err := load(o.fromJSON, prev); err != nil {
			return err
		}
	}
	rep, runErr := prev, error(nil)
	if len(suite.Parts) > 0 {
		rep, runErr = bench.RunSuite(ctx, os.Args[0], suite, prev, command, os.Stderr)
		if rep == nil || rep.Main == nil {
			if rep != nil && o.saveJSON != "" {
				// Keep what ran: a later --from-json with the reference can report it.
				if err := save(o.saveJSON, rep); err != nil {
					return errors.Join(runErr, err)
				}
			}
			return runErr
		}
		if runErr != nil {
			fmt.Fprintln(os.Stderr, "sailbench:", runErr)
		}
	}
	if rep.Main == nil {
		return fmt.Errorf("%s holds no reference run, around which the report is built: add --parts %s", o.fromJSON, bench.PartReference)
	}
	rep.Print(os.Stdout)
	if o.saveJSON != "" {
		if err := save(o.saveJSON, rep); err != nil {
			return err
		}
	}
	if o.out == "" {
		return errors.Join(runErr, rep.Failed())
	}
	var md bytes.Buffer
	rep.Markdown(&md)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(o.out, md.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s\n", o.out)
	return errors.Join(runErr, rep.Failed())
}

// suite is what the flags ask to run. With --from-json nothing runs
// unless --parts names it.
func (o *options) suite() (bench.Suite, error) {
	s := bench.Suite{Reference: o.cfg, Scoped: o.scopedRun, GrowthProxies: o.cfg.Proxies}
	if o.scaleProxies > 0 {
		s.GrowthProxies = o.scaleProxies
	}
	if o.fromJSON == "" || o.partsSet {
		parts, err := bench.ParseParts(o.parts)
		if err != nil {
			return s, err
		}
		s.Parts = parts
	}
	if o.fromJSON == "" && len(s.Parts) == 0 {
		return s, fmt.Errorf("--parts %q names nothing to run", o.parts)
	}
	if strings.TrimSpace(o.scale) != "" {
		sizes, err := parseSizes(o.scale)
		if err != nil {
			return s, err
		}
		s.Sizes = sizes
	}
	return s, nil
}

func save(path string, rep *bench.Report) error {
	b, err := json.MarshalIndent(rep, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func load(path string, rep *bench.Report) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, rep); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if rep.Main == nil && rep.Scoped == nil && rep.Connections == nil && len(rep.Scale) == 0 {
		return fmt.Errorf("%s holds no results", path)
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--scale %q: %q is not a number of services", s, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func memAvailable() uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "MemAvailable:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
