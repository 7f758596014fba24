package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A `make bench` is a suite of runs: the reference mesh unscoped, the same
// mesh with each workload's Sidecar scoped to the services it calls, and
// the growth sizes. Each run is a process of its own (its own API server,
// heap and RSS), so no run's memory or CPU is another's.

// The parts of a suite.
const (
	PartReference = "reference"
	PartScoped    = "scoped"
	// PartConnections is the reference run with one connection per proxy,
	// as Envoys connect: the reference run's proxies share --conns
	// connections, so the control plane's per-connection cost (TLS and
	// HTTP/2 state, buffers, goroutines) shows only here.
	PartConnections = "connections"
	PartGrowth      = "growth"
)

// AllParts is what `make bench` runs by default.
var AllParts = []string{PartReference, PartScoped, PartConnections, PartGrowth}

// Suite is one invocation's runs.
type Suite struct {
	// Reference is the main run; the others are variations of it.
	Reference Config
	// Scoped is the services each workload's Sidecar lists in the scoped
	// run (0: no scoped run).
	Scoped int
	// Sizes are the growth table's services, each at GrowthProxies
	// proxies; the size equal to the reference run is that run, not run
	// again.
	Sizes         []int
	GrowthProxies int
	// Parts names what to run (AllParts by default).
	Parts []string
}

// ParseParts reads --parts: a comma-separated subset of AllParts.
func ParseParts(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		p := strings.TrimSpace(f)
		if p == "" {
			continue
		}
		if !slices.Contains(AllParts, p) {
			return nil, fmt.Errorf("--parts %q: %q is none of %s", s, p, strings.Join(AllParts, ", "))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// plannedRun is one run to do and where its result goes.
type plannedRun struct {
	part string
	cfg  Config
}

func (s Suite) runs(part string) bool { return slices.Contains(s.Parts, part) }

// scopedConfig is the reference run with every workload's Sidecar.
func (s Suite) scopedConfig() Config {
	c := s.Reference
	c.Spec.Scoped = s.Scoped
	return c
}

// connectionsConfig is the reference run with a connection per proxy.
func (s Suite) connectionsConfig() Config {
	c := s.Reference
	c.Conns = c.Proxies
	return c
}

// growthConfig is the reference run at n services.
func (s Suite) growthConfig(n int) Config {
	c := s.Reference
	c.Spec.Services, c.Proxies = n, s.GrowthProxies
	return c
}

// sameSize: a growth size is the reference run when only the services
// and proxies could differ and they do not.
func sameSize(a, b Config) bool {
	return a.Spec == b.Spec && a.Proxies == b.Proxies
}

// plan lists the runs to do, in order: the reference first (the growth
// table may reuse it), then the scoped run, then the growth sizes
// smallest first. A growth size that is the reference run (this
// invocation's or, with prev, the saved one) is not run again.
func (s Suite) plan(prev *Report) []plannedRun {
	var out []plannedRun
	ref := s.Reference
	if s.runs(PartReference) {
		out = append(out, plannedRun{PartReference, ref})
	} else if prev != nil && prev.Main != nil {
		ref = prev.Main.Config
	}
	if s.runs(PartScoped) && s.Scoped > 0 {
		out = append(out, plannedRun{PartScoped, s.scopedConfig()})
	}
	if s.runs(PartConnections) && s.Reference.Conns < s.Reference.Proxies {
		out = append(out, plannedRun{PartConnections, s.connectionsConfig()})
	}
	if s.runs(PartGrowth) {
		sizes := slices.Clone(s.Sizes)
		slices.Sort(sizes)
		for _, n := range slices.Compact(sizes) {
			c := s.growthConfig(n)
			if !sameSize(c, ref) {
				out = append(out, plannedRun{PartGrowth, c})
			}
		}
	}
	return out
}

// RunSuite runs the suite's parts, each run in a child process (self is
// this program; the child runs ChildFlag), and returns the report: prev's
// parts (from --from-json) with the ones run now in their place. A run
// that fails to produce a result is reported in the error; the others
// still run.
func RunSuite(ctx context.Context, self string, s Suite, prev *Report, command string, log io.Writer) (*Report, error) {
	dir, err := os.MkdirTemp("", "sailbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var ran ranResults
	var errs []string
	plan := s.plan(prev)
	for i, p := range plan {
		if ctx.Err() != nil {
			errs = append(errs, fmt.Sprintf("%s run (%d services) not started: %v", p.part, p.cfg.Spec.Services, context.Cause(ctx)))
			continue
		}
		c := p.cfg
		if c.CPUProfile != "" {
			c.CPUProfile = phaseFile(c.CPUProfile, fmt.Sprintf("%s-%d-%d", p.part, c.Spec.Services, c.Proxies))
		}
		fmt.Fprintf(log, "=== run %d of %d: %s, %d services, %d proxies, %s\n", i+1, len(plan), p.part, c.Spec.Services, c.Proxies, scoping(c.Spec.Scoped))
		res, err := runChild(ctx, self, filepath.Join(dir, fmt.Sprint(i)), c, command, log)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s run (%d services, %d proxies): %v", p.part, c.Spec.Services, c.Proxies, err))
			continue
		}
		ran.add(p.part, res)
	}
	rep := s.assemble(prev, ran)
	if len(errs) > 0 {
		err = fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	if rep.Main == nil {
		return rep, noReferenceError(s.Parts, err)
	}
	return rep, err
}

// noReferenceError says why there is no report: every table is built
// around the reference run, which did not run (or failed) and was not in
// the results --from-json gave.
func noReferenceError(parts []string, runErr error) error {
	why := fmt.Sprintf("--parts %s does not include %s", strings.Join(parts, ","), PartReference)
	if slices.Contains(parts, PartReference) {
		why = "the reference run did not complete"
	}
	msg := "no report: it is built around the reference run, and " + why + "; add " + PartReference + " to --parts, or pass --from-json with results saved (--save-json) from a run that had it"
	if runErr != nil {
		msg += " (" + runErr.Error() + ")"
	}
	return errors.New(msg)
}

// ranResults are the results of one invocation's runs, by part.
type ranResults struct {
	reference, scoped, connections *Result
	growth                         []*Result
}

func (r *ranResults) add(part string, res *Result) {
	switch part {
	case PartReference:
		r.reference = res
	case PartScoped:
		r.scoped = res
	case PartConnections:
		r.connections = res
	case PartGrowth:
		r.growth = append(r.growth, res)
	}
}

// assemble is the report: prev's parts, with the ones run now in their
// place.
func (s Suite) assemble(prev *Report, ran ranResults) *Report {
	rep := &Report{}
	if prev != nil {
		*rep = *prev
	}
	if ran.reference != nil {
		rep.Main = ran.reference
	}
	if ran.scoped != nil {
		rep.Scoped = ran.scoped
	}
	if ran.connections != nil {
		rep.Connections = ran.connections
	}
	if s.runs(PartGrowth) || ran.reference != nil {
		rep.Scale = s.mergeGrowth(prev, rep.Main, ran.growth)
	}
	if rep.Main == nil {
		// No reference run (--parts growth or scoped alone): the figures
		// in detail are the largest run's.
		for _, r := range append([]*Result{rep.Scoped}, rep.Scale...) {
			if r != nil && (rep.Main == nil || r.Config.Spec.Services >= rep.Main.Config.Spec.Services) {
				rep.Main = r
			}
		}
	}
	return rep
}

// mergeGrowth is the growth table's rows: the sizes run now, the saved
// sizes not run now, and the reference run as its size's row when the
// table has that size.
func (s Suite) mergeGrowth(prev *Report, main *Result, ran []*Result) []*Result {
	out := slices.Clone(ran)
	withMain := main != nil && slices.Contains(s.Sizes, main.Config.Spec.Services) && sameSize(s.growthConfig(main.Config.Spec.Services), main.Config)
	if prev != nil {
		for _, r := range prev.Scale {
			switch {
			case main != nil && sameSize(r.Config, main.Config):
				withMain = true
			case !slices.ContainsFunc(ran, func(n *Result) bool { return sameSize(n.Config, r.Config) }):
				out = append(out, r)
			}
		}
	}
	if withMain && !slices.Contains(out, main) {
		out = append(out, main)
	}
	return sortBySize(out)
}

// growthRows orders the growth table's runs by size, with the reference
// run as its own size's row.
func growthRows(s Suite, main *Result, ran []*Result) []*Result { return s.mergeGrowth(nil, main, ran) }

func sortBySize(out []*Result) []*Result {
	slices.SortStableFunc(out, func(a, b *Result) int { return a.Config.Spec.Services - b.Config.Spec.Services })
	return out
}
