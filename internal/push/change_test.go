package push

import (
	"reflect"
	"strconv"
	"sync"
	"testing"
)

func TestMergeIsTheUnionAndLeavesBothAlone(t *testing.T) {
	a := Config(Key{Kind: "EndpointSlice", Namespace: "a", Name: "x"})
	b := Joined("n1", "n2")
	m := a.Merge(b).Merge(Config(Key{Kind: "EndpointSlice", Namespace: "a", Name: "x"}))
	if m.Full || len(m.Configs) != 1 || len(m.Proxies) != 2 || m.Reasons[Event] != 2 || m.Reasons[NewProxy] != 2 {
		t.Fatalf("merged %+v", m)
	}
	if len(a.Proxies) != 0 || len(b.Configs) != 0 {
		t.Fatalf("merge modified its inputs: %+v %+v", a, b)
	}
	if !m.Merge(FullChange(Poke)).Full {
		t.Fatal("a full change merged in must make the result full")
	}
}

func TestWhatAChangeIs(t *testing.T) {
	eps := Config(Key{Kind: "EndpointSlice", Namespace: "a", Name: "x"})
	vs := Config(Key{Kind: "VirtualService", Namespace: "a", Name: "r"})
	join := Joined("n1")
	cases := []struct {
		name                    string
		c                       Change
		empty, joinOnly, epOnly bool
	}{
		{"nothing", Change{}, true, false, false},
		{"endpoints", eps, false, false, true},
		{"endpoints and a rule", eps.Merge(vs), false, false, false},
		{"a join", join, false, true, false},
		{"a join and endpoints", join.Merge(eps), false, false, false},
		{"a poke", FullChange(Poke), false, false, false},
		{"a join and a poke", join.Merge(FullChange(Nack)), false, false, false},
	}
	for _, c := range cases {
		if got := c.c.Empty(); got != c.empty {
			t.Errorf("%s: Empty %v, want %v", c.name, got, c.empty)
		}
		if got := c.c.JoinOnly(); got != c.joinOnly {
			t.Errorf("%s: JoinOnly %v, want %v", c.name, got, c.joinOnly)
		}
		if got := c.c.OnlyKinds("EndpointSlice"); got != c.epOnly {
			t.Errorf("%s: OnlyKinds(EndpointSlice) %v, want %v", c.name, got, c.epOnly)
		}
	}
	if got := eps.Merge(vs).Kinds(); !reflect.DeepEqual(got, []string{"EndpointSlice", "VirtualService"}) {
		t.Errorf("Kinds %v", got)
	}
	if got := Joined("b", "a").NodeIDs(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("NodeIDs %v", got)
	}
}

// TestPendingMergesConcurrentAdds: what handlers add from many goroutines
// is all in the changes taken, once.
func TestPendingMergesConcurrentAdds(t *testing.T) {
	var p Pending
	var wg sync.WaitGroup
	taken := make(chan Change, 100)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Add(Joined(string(rune('A' + i))))
			if i%10 == 0 {
				taken <- p.Take()
			}
		}()
	}
	wg.Wait()
	close(taken)
	all := p.Take()
	for c := range taken {
		all = all.Merge(c)
	}
	if len(all.Proxies) != 50 || all.Reasons[NewProxy] != 50 {
		t.Fatalf("took %d proxies (%d reasons), want 50", len(all.Proxies), all.Reasons[NewProxy])
	}
	if !p.Take().Empty() {
		t.Fatal("nothing should be pending after Take")
	}
}

func TestPendingTakeHandsOutTheMergedChange(t *testing.T) {
	var p Pending
	p.Add(Config(Key{Kind: "EndpointSlice", Namespace: "a", Name: "x"}))
	p.Add(Config(Key{Kind: "VirtualService", Namespace: "a", Name: "r"}))
	p.Add(Config(Key{Kind: "EndpointSlice", Namespace: "a", Name: "x"}))
	p.Add(Joined("n1", "n2"))
	p.Add(FullChange(Poke))
	got := p.Take()
	want := Change{
		Full:    true,
		Configs: map[Key]struct{}{{Kind: "EndpointSlice", Namespace: "a", Name: "x"}: {}, {Kind: "VirtualService", Namespace: "a", Name: "r"}: {}},
		Proxies: map[string]struct{}{"n1": {}, "n2": {}},
		Reasons: map[Reason]int{Event: 3, NewProxy: 2, Poke: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("took %+v, want %+v", got, want)
	}
	if c := p.Take(); !c.Empty() || len(c.Reasons) != 0 {
		t.Fatalf("pending after Take: %+v", c)
	}
}

// TestPendingKeepsNoCallersMaps: a change added and then modified by its
// caller leaves the pending one alone, as does a taken change modified
// after Take, or merged back on a retry.
func TestPendingKeepsNoCallersMaps(t *testing.T) {
	var p Pending
	x, y := Key{Kind: "Service", Namespace: "a", Name: "x"}, Key{Kind: "Service", Namespace: "a", Name: "y"}
	c := Config(x)
	p.Add(c) // onto nothing pending: the one Add that could take c's maps as they are
	c.Configs[y] = struct{}{}
	c.Reasons[Event] = 99
	c.Reasons[Poke] = 1
	taken := p.Take()
	if len(taken.Configs) != 1 || taken.Reasons[Event] != 1 || len(taken.Reasons) != 1 {
		t.Fatalf("the caller's later changes reached the pending change: %+v", taken)
	}

	p.Add(Joined("n1"))
	taken.Configs[y] = struct{}{}
	if got := p.Take(); len(got.Configs) != 0 || len(got.Proxies) != 1 {
		t.Fatalf("a taken change modified afterwards reached the pending one: %+v", got)
	}

	ch := Config(x)
	p.Add(ch.Merge(FullChange(Retry))) // the reconcile's retry
	p.Add(Config(y))
	if len(ch.Configs) != 1 || len(ch.Reasons) != 1 || ch.Full {
		t.Fatalf("merging back on a retry modified the change: %+v", ch)
	}
	if got := p.Take(); !got.Full || len(got.Configs) != 2 || got.Reasons[Event] != 2 || got.Reasons[Retry] != 1 {
		t.Fatalf("took %+v", got)
	}
}

// TestPendingAddCostsTheAddedChange: adding to a large pending change
// allocates nothing for what is pending already (Merge copied all of it
// on every event, quadratic in a cache fill's thousands of events).
func TestPendingAddCostsTheAddedChange(t *testing.T) {
	var p Pending
	for i := range 5000 {
		p.Add(Config(Key{Kind: "Service", Namespace: "a", Name: strconv.Itoa(i)}))
	}
	again := Config(Key{Kind: "Service", Namespace: "a", Name: "1"})
	if n := testing.AllocsPerRun(100, func() { p.Add(again) }); n != 0 {
		t.Errorf("adding a change of one pending key allocates %.0f times, want 0", n)
	}
	if got := p.Take(); len(got.Configs) != 5000 || got.Reasons[Event] != 5000+101 {
		t.Fatalf("took %d configs, %d events", len(got.Configs), got.Reasons[Event])
	}
}
