package bench

import (
	"testing"
	"time"
)

// synthProfile builds a profile whose samples are stacks of function
// names (leaf first), 10 ms each, all of the control plane's role.
func synthProfile(stacks ...[]string) *profile {
	p := &profile{strings: []string{""}, functions: map[uint64]int64{}, locations: map[uint64][]uint64{}}
	ids := map[string]uint64{}
	id := func(name string) uint64 {
		if i, ok := ids[name]; ok {
			return i
		}
		i := uint64(len(ids) + 1)
		ids[name] = i
		p.strings = append(p.strings, name)
		p.functions[i] = int64(len(p.strings) - 1)
		p.locations[i] = []uint64{i}
		return i
	}
	for _, st := range stacks {
		s := profSample{nanos: int64(10 * time.Millisecond), role: roleControlPlane}
		for _, name := range st {
			s.locs = append(s.locs, id(name))
		}
		p.samples = append(p.samples, s)
	}
	return p
}

// A watched function's time includes its closures, also those run on
// goroutines of their own (whose stacks do not hold it), each sample once;
// a function whose name merely starts the same is not counted.
func TestCumOfCountsClosuresOnce(t *testing.T) {
	const rules = "github.com/sailplane/sailplane/internal/mesh.ComputeRulesSince"
	const compute = "github.com/sailplane/sailplane/internal/mesh.Compute"
	p := synthProfile(
		[]string{"x.leaf", rules, "controllers.reconcile"},
		[]string{"x.leaf", rules + ".func1", rules, "controllers.reconcile"}, // a closure called in place
		[]string{"x.leaf", rules + ".func2", "internal/parallel.Each.func1"}, // on a goroutine
		[]string{"x.leaf", compute + "Endpoints", "controllers.reconcile"},
		[]string{"x.leaf", compute, "controllers.reconcile"},
	)
	got := p.cumOf(roleControlPlane, []string{fnRulesSince, fnCompute, fnEndpoints})
	for w, want := range map[string]time.Duration{fnRulesSince: 30 * time.Millisecond, fnCompute: 10 * time.Millisecond, fnEndpoints: 10 * time.Millisecond} {
		if got[w] != want {
			t.Errorf("%s: %v, want %v", w, got[w], want)
		}
	}
}
