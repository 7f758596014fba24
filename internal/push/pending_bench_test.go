package push

import (
	"strconv"
	"testing"
)

// BenchmarkPendingFill is the caches' first fill at the reference mesh:
// some 6000 Create events added to one pending change before the first
// reconcile takes it.
func BenchmarkPendingFill(b *testing.B) {
	events := make([]Change, 6000)
	for i := range events {
		events[i] = Config(Key{Kind: "EndpointSlice", Namespace: "ns", Name: strconv.Itoa(i)})
	}
	for b.Loop() {
		var p Pending
		for _, c := range events {
			p.Add(c)
		}
		if len(p.Take().Configs) != len(events) {
			b.Fatal("events lost")
		}
	}
}
