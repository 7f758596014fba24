package bench

import (
	"strings"
	"testing"
	"time"
)

// The floor is both processes' CPU over the cores, per change when a
// phase ran several; a phase without figures says nothing.
func TestCPUFloor(t *testing.T) {
	c := CPUPhase{Process: 8 * time.Second, Bench: 16 * time.Second}
	if got := cpuFloor(c, 2, 1); !strings.Contains(got, "at least "+dur(12*time.Second)) || strings.Contains(got, "per change") {
		t.Errorf("start-up floor: %q", got)
	}
	if got := cpuFloor(c, 2, 10); !strings.Contains(got, "per change") || !strings.Contains(got, "at least "+dur(1200*time.Millisecond)) {
		t.Errorf("per-change floor: %q", got)
	}
	if got := cpuFloor(CPUPhase{}, 2, 1); got != "" {
		t.Errorf("no figures: %q", got)
	}
}

// A phase whose CPU is mostly TLS writing responses plans to send less,
// quoting the run's own configuration size.
func TestPlanForWireBoundPhase(t *testing.T) {
	c := CPUPhase{
		ByRole:  map[string]time.Duration{roleControlPlane: 10 * time.Second},
		Watched: map[string]time.Duration{fnWire: 4 * time.Second, fnReconcile: time.Second},
	}
	var size ConfigSize
	size.Median, size.PerType[typeRDS] = 1700<<10, 480<<10
	got := planFor(c, false, size)
	if !strings.Contains(got, "Send each proxy less") || !strings.Contains(got, kib(1700<<10)) || !strings.Contains(got, kib(480<<10)) {
		t.Errorf("plan: %q", got)
	}
	c.Watched[fnWire] = time.Second
	if got := planFor(c, false, size); strings.Contains(got, "Send each proxy less") {
		t.Errorf("a phase the wire does not dominate got %q", got)
	}
}
