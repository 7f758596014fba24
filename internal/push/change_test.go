package push

import (
	"reflect"
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
