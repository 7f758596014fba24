package bench

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// BenchmarkRetained is what one full reconcile's result and its snapshots
// keep alive at the reference size (as timeCompute measures it for the
// report), as the metric retained-MiB. With SAILBENCH_HEAPPROFILE set it
// also writes the heap profile of that moment there, to see who holds it.
func BenchmarkRetained(b *testing.B) {
	m := NewMesh(referenceSpec)
	bu := m.Bundle()
	nodes := meshNodes(m, len(m.Pods))
	var retained uint64
	for b.Loop() {
		before := liveHeap()
		res := mesh.Compute(bu, nodes)
		builder := xdsserver.NewBuilder()
		snaps := map[*xds.Resources]any{}
		for _, rs := range res.Resources {
			if _, done := snaps[rs]; done {
				continue
			}
			s, err := builder.Snapshot(rs)
			if err != nil {
				b.Fatal(err)
			}
			snaps[rs] = s
		}
		retained = liveHeap() - min(before, liveHeap())
		if path := os.Getenv("SAILBENCH_HEAPPROFILE"); path != "" {
			writeHeapProfile(b, path)
		}
		runtime.KeepAlive(snaps)
		runtime.KeepAlive(res)
	}
	b.ReportMetric(float64(retained)/(1<<20), "retained-MiB")
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}
