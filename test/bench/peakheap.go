package bench

import (
	"bytes"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"time"
)

// watchPeakHeap writes the heap profile to path whenever the live heap
// reaches a new high (5% over the last one written): the profile of the
// control plane's peak, to see what a mass connect holds at once
// (--peak-heap-profile).
func watchPeakHeap(path string, stop <-chan struct{}) {
	if path == "" {
		return
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var written uint64
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		metrics.Read(live)
		if live[0].Value.Kind() != metrics.KindUint64 {
			continue
		}
		if v := live[0].Value.Uint64(); v > written+written/20 {
			var b bytes.Buffer
			if pprof.Lookup("heap").WriteTo(&b, 0) == nil && os.WriteFile(path, b.Bytes(), 0o644) == nil {
				written = v
			}
		}
	}
}
