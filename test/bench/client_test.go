package bench

import (
	"context"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// received turns a translation into what a proxy would hold: one set per
// type, interned in s.
func received(t *testing.T, s *store, r *xds.Resources) [numTypes]*typeState {
	t.Helper()
	var out [numTypes]*typeState
	lists := [numTypes][]proto.Message{}
	for _, c := range r.Clusters {
		lists[typeCDS] = append(lists[typeCDS], c)
	}
	for _, e := range r.Endpoints {
		lists[typeEDS] = append(lists[typeEDS], e)
	}
	for _, l := range r.Listeners {
		lists[typeLDS] = append(lists[typeLDS], l)
	}
	for _, rc := range r.Routes {
		lists[typeRDS] = append(lists[typeRDS], rc)
	}
	for typ, msgs := range lists {
		var es []*entry
		for _, m := range msgs {
			raw, err := proto.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			e, err := s.entry(typ, ropeOf(raw))
			if err != nil {
				t.Fatal(err)
			}
			es = append(es, e)
		}
		out[typ] = s.replace(typ, es)
	}
	return out
}

// TestProxyStateIsInternedAndJudged: proxies of one group share their
// sets, a complete configuration is judged complete and consistent, a
// Delta update lands on the same set as the full state, and a missing
// cluster is caught.
func TestProxyStateIsInternedAndJudged(t *testing.T) {
	m := NewMesh(Spec{Services: 12, Namespaces: 2, Seed: 3, RuleShare: 0.5})
	mod := model.Build(m.Bundle())
	s := newStore()
	plain := m.Services[0]
	for _, svc := range m.Services {
		if !svc.Subsets {
			plain = svc
		}
	}
	a := received(t, s, xds.Generate(mod, ProxyFor(mod, plain.Pods[0])))
	b := received(t, s, xds.Generate(mod, ProxyFor(mod, plain.Pods[1])))
	if a != b {
		t.Fatal("two replicas of one Deployment do not share their sets")
	}
	if v := s.check(a); !v.complete || v.inconsistent != "" {
		t.Fatalf("verdict %+v, want complete and consistent", v)
	}
	cds := a[typeCDS]
	// A service without a VirtualService: its default route names it.
	some := cds.entries[names.OutboundCluster(HTTPPort, "", plain.Host())]
	if some == nil {
		t.Fatalf("no cluster for %s", plain.Host())
	}
	shrunk := s.apply(typeCDS, cds, nil, []string{some.name})
	if again := s.apply(typeCDS, shrunk, []*entry{some}, nil); again != cds {
		t.Error("a Delta update back to the full set gave another set")
	}
	broken := a
	broken[typeCDS] = shrunk
	if v := s.check(broken); v.inconsistent == "" {
		t.Errorf("a route naming %s, which is missing, was not reported", some.name)
	}
	if got := followUpNames(typeCDS, cds); len(got) != len(a[typeEDS].entries) {
		t.Errorf("the proxy would ask for %d load assignments, it holds %d", len(got), len(a[typeEDS].entries))
	}
}

// TestProfileSplitsByRole: the CPU profile reader attributes labelled
// work to its role and names the function.
func TestProfileSplitsByRole(t *testing.T) {
	w := startCPU("test", "")
	pprof.Do(context.Background(), pprof.Labels(roleLabel, roleControlPlane), func(context.Context) { spin(300 * time.Millisecond) })
	c := w.stop()
	if c.ByRole == nil {
		t.Skip("another CPU profile is running")
	}
	if c.ByRole[roleControlPlane] < 50*time.Millisecond {
		t.Fatalf("control plane time %s, want most of 300ms (split %v)", c.ByRole[roleControlPlane], c.ByRole)
	}
	found := false
	for _, f := range c.TopFlat {
		found = found || strings.HasSuffix(f.Name, "bench.spin")
	}
	if !found {
		t.Errorf("bench.spin is not among the top functions: %+v", c.TopFlat)
	}
}

// spin burns d of this process's CPU time (not wall time: on a loaded
// machine the spinning goroutine may get a fraction of the wall clock,
// and the profile samples CPU time).
//
//go:noinline
func spin(d time.Duration) {
	for end := processCPU() + d; processCPU() < end; {
		for i := 0; i < 1e5; i++ {
			spinSink += i
		}
	}
}

var spinSink int
