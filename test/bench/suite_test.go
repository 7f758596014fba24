package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func smallSuite() Suite {
	ref := Config{Spec: Spec{Services: 1000, Namespaces: 20, Seed: 1, RuleShare: 0.3}, Proxies: 2000, Conns: 16}
	return Suite{Reference: ref, Scoped: 10, Sizes: []int{4000, 250, 1000}, GrowthProxies: 2000, Parts: AllParts}
}

func planned(p []plannedRun) []string {
	var out []string
	for _, r := range p {
		out = append(out, fmt.Sprintf("%s:%d/%d/%d", r.part, r.cfg.Spec.Services, r.cfg.Proxies, r.cfg.Spec.Scoped))
	}
	return out
}

// TestSuitePlan: one invocation runs the reference, the scoped run, the
// reference with a connection per proxy and each growth size once,
// smallest first, the reference's size not again.
func TestSuitePlan(t *testing.T) {
	s := smallSuite()
	plan := s.plan(nil)
	got := strings.Join(planned(plan), " ")
	want := "reference:1000/2000/0 scoped:1000/2000/10 connections:1000/2000/0 growth:250/2000/0 growth:4000/2000/0"
	if got != want {
		t.Errorf("plan %s, want %s", got, want)
	}
	if plan[0].cfg.Conns != 16 || plan[2].cfg.Conns != 2000 {
		t.Errorf("connections: the reference runs over %d connections and the connections run over %d, want 16 and 2000", plan[0].cfg.Conns, plan[2].cfg.Conns)
	}
	// Growth at other proxies than the reference: every size runs.
	s.GrowthProxies = 500
	if got := planned(s.plan(nil)); len(got) != 6 || got[4] != "growth:1000/500/0" {
		t.Errorf("growth at 500 proxies: plan %v, want the 1000-service size run at 500 proxies", got)
	}
	// Parts: only the growth, against a saved reference of the same size.
	s = smallSuite()
	s.Parts = []string{PartGrowth}
	prev := &Report{Main: &Result{Config: s.Reference}}
	if got := strings.Join(planned(s.plan(prev)), " "); got != "growth:250/2000/0 growth:4000/2000/0" {
		t.Errorf("growth only: plan %s", got)
	}
	s.Scoped, s.Parts = 0, AllParts
	if got := planned(s.plan(nil)); len(got) != 4 || got[2] != "growth:250/2000/0" {
		t.Errorf("--scoped-run 0: plan %v, want no scoped run", got)
	}
}

func TestParseParts(t *testing.T) {
	got, err := ParseParts("growth, reference,growth")
	if err != nil || strings.Join(got, ",") != "growth,reference" {
		t.Errorf("ParseParts: %v, %v", got, err)
	}
	if _, err := ParseParts("reference,everything"); err == nil {
		t.Error("an unknown part was accepted")
	}
}

func fakeResult(services, scoped int, load string) *Result {
	r := &Result{Config: Config{Spec: Spec{Services: services, Namespaces: 20, Seed: 1, RuleShare: 0.3, Scoped: scoped}, Proxies: 2000},
		Machine: Machine{LoadAvg: load}, LoadAtEnd: load + "!", Start: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC), Took: time.Minute}
	r.Memory.HWM, r.Memory.RSS = uint64(services)<<20, uint64(services/2)<<20
	r.Converge = Converge{Proxies: 2000, Completed: 2000, FromStart: time.Duration(services) * time.Millisecond}
	r.Endpoints = Changes{Done: 1, All: []time.Duration{time.Duration(services) * time.Microsecond}}
	return r
}

// TestReportHoldsEveryPart: the written report has the goals of both
// runs with their load averages, the scoped section and the growth table
// with a column per size (the reference run as its size's), and survives
// --save-json and --from-json.
func TestReportHoldsEveryPart(t *testing.T) {
	s := smallSuite()
	main := fakeResult(1000, 0, "1.00 2.00 3.00")
	rep := &Report{Main: main, Scoped: fakeResult(1000, 10, "4.00 5.00 6.00")}
	rep.Scale = growthRows(s, main, []*Result{fakeResult(4000, 0, "7.00 8.00 9.00"), fakeResult(250, 0, "0.50 0.50 0.50")})
	if len(rep.Scale) != 3 || rep.Scale[1] != main || rep.Scale[0].Config.Spec.Services != 250 {
		t.Fatalf("growth rows %d, want 250, the reference run, 4000", len(rep.Scale))
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	back.Markdown(&md)
	out := md.String()
	for _, want := range []string{
		"## Goals (issue 15",
		"| reference, unscoped | status | scoped (10 services per Sidecar) | status |",
		"1.00 2.00 3.00 → 1.00 2.00 3.00!", "4.00 5.00 6.00 → 4.00 5.00 6.00!",
		"| control-plane RSS, peak (VmHWM) | ≤ 600 MiB | 1000 MiB | **NOT MET** | 1000 MiB | **NOT MET** |",
		"## Scoped run",
		"## Growth with the mesh",
		"| metric | 250 services | 1000 services | 4000 services | slope per 1000 services |",
		"| simulated proxies | 2000 | 2000 | 2000 |",
		"| control-plane RSS, peak (VmHWM), MiB | 250 | 1000 | 4000 | 1000 |",
		"| endpoint change, p99 ms | 0.250 | 1.00 | 4.00 |",
		"0.50 0.50 0.50 → 0.50 0.50 0.50!",
		"## How it measures",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

// TestAssembleReplacesWhatRan: with --from-json, the parts run again
// replace the saved ones and the rest is kept; a new reference run is
// also the growth table's row of its size.
func TestAssembleReplacesWhatRan(t *testing.T) {
	s := smallSuite()
	old := fakeResult(1000, 0, "1")
	prev := &Report{Main: old, Scoped: fakeResult(1000, 10, "2")}
	prev.Scale = growthRows(s, old, []*Result{fakeResult(250, 0, "3"), fakeResult(4000, 0, "4")})

	s.Parts = []string{PartReference}
	fresh := fakeResult(1000, 0, "5")
	rep := s.assemble(prev, ranResults{reference: fresh})
	if rep.Main != fresh || rep.Scoped != prev.Scoped {
		t.Errorf("reference again: main %p scoped %p, want the new reference and the saved scoped run", rep.Main, rep.Scoped)
	}
	if len(rep.Scale) != 3 || rep.Scale[0] != prev.Scale[0] || rep.Scale[1] != fresh || rep.Scale[2] != prev.Scale[2] {
		t.Errorf("reference again: growth rows %v, want 250 and 4000 kept and the new 1000", loads(rep.Scale))
	}

	s.Parts = []string{PartGrowth}
	big := fakeResult(4000, 0, "6")
	rep = s.assemble(prev, ranResults{growth: []*Result{big}})
	if rep.Main != old || len(rep.Scale) != 3 || rep.Scale[0] != prev.Scale[0] || rep.Scale[1] != old || rep.Scale[2] != big {
		t.Errorf("growth again (4000 only): rows %v, want the saved 250, the saved reference and the new 4000", loads(rep.Scale))
	}
	if prev.Main != old || len(prev.Scale) != 3 {
		t.Error("assemble changed the saved report")
	}
}

func loads(rs []*Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d:%s", r.Config.Spec.Services, r.Machine.LoadAvg))
	}
	return out
}

// TestAssembleGrowthAlone: --parts growth with no reference run reports
// the largest size in detail, once per row.
func TestAssembleGrowthAlone(t *testing.T) {
	s := smallSuite()
	s.Parts, s.Sizes = []string{PartGrowth}, []int{250, 4000}
	small, big := fakeResult(250, 0, "1"), fakeResult(4000, 0, "2")
	rep := s.assemble(nil, ranResults{growth: []*Result{big, small}})
	if rep.Main != big || len(rep.Scale) != 2 || rep.Scale[0] != small || rep.Scale[1] != big {
		t.Errorf("growth alone: main %d services, rows %v; want 4000 in detail and rows 250, 4000", rep.Main.Config.Spec.Services, loads(rep.Scale))
	}
}

// Without the reference run there is no report, and the error says what
// to do rather than "no run to report".
func TestNoReferenceError(t *testing.T) {
	err := noReferenceError([]string{PartConnections}, nil)
	for _, want := range []string{"--parts connections does not include reference", "add reference to --parts", "--from-json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	err = noReferenceError([]string{PartReference, PartScoped}, errors.New("reference run (1000 services, 2000 proxies): killed"))
	if !strings.Contains(err.Error(), "the reference run did not complete") || !strings.Contains(err.Error(), "killed") {
		t.Errorf("a failed reference run: %q", err)
	}
}
