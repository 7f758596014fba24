package bench

import (
	"testing"
	"time"
)

// cpuMeter reports the process CPU time (processCPU: user and system, all
// threads) per iteration as the metric cpu-ms/op: on a shared machine the
// wall-clock ns/op follows the other load, the CPU a run costs much less.
type cpuMeter struct{ start time.Duration }

func meterCPU() cpuMeter { return cpuMeter{start: processCPU()} }

func (c cpuMeter) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-c.start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	}
}
