// Package memlimit chooses the Go runtime's soft memory limit for the
// control plane (--memory-limit). Without one, the runtime lets the heap
// grow to twice what is live before it collects and keeps what it
// collected mapped for a while, so a mass connect's garbage stays in the
// RSS long after it is gone; with one, the collector works harder as the
// heap nears the limit and the scavenger returns memory above it to the
// operating system. The limit is soft: the runtime never fails an
// allocation for it, it only collects more often.
package memlimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Auto is the default: GOMEMLIMIT when it is set, else a share of the
// container's (cgroup v2) memory limit, else none.
const Auto = "auto"

// cgroupShare of the container's limit is the runtime's: the rest is
// room for what the runtime does not count (thread stacks, cgo, the
// kernel's page cache charged to the container) before the OOM killer.
const cgroupShare = 0.9

// Choice is a resolved --memory-limit.
type Choice struct {
	// Bytes is the limit to set; 0 leaves the runtime's as it is.
	Bytes int64
	// Source says where it came from, for the start-up log.
	Source string
}

// Resolve turns the flag's value into a limit. spec is "auto", "off" or a
// size ("1536MiB", "2GiB", "800M", a number of bytes); gomemlimit is the
// GOMEMLIMIT environment variable and cgroupMax the content of the
// process's cgroup memory.max ("max" or bytes; empty when absent).
func Resolve(spec, gomemlimit, cgroupMax string) (Choice, error) {
	switch s := strings.TrimSpace(spec); s {
	case "", Auto:
		if gomemlimit != "" {
			return Choice{Source: "GOMEMLIMIT=" + gomemlimit}, nil
		}
		limit, ok := parseCgroupMax(cgroupMax)
		if !ok {
			return Choice{Source: "none (no GOMEMLIMIT, no container memory limit)"}, nil
		}
		b := int64(float64(limit) * cgroupShare)
		return Choice{Bytes: b, Source: fmt.Sprintf("%.0f%% of the container's memory limit %d", cgroupShare*100, limit)}, nil
	case "off", "none", "0":
		return Choice{Bytes: math.MaxInt64, Source: "off"}, nil
	default:
		b, err := ParseSize(s)
		if err != nil {
			return Choice{}, fmt.Errorf("--memory-limit %q: %w", spec, err)
		}
		return Choice{Bytes: b, Source: "--memory-limit " + s}, nil
	}
}

func parseCgroupMax(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "max" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// units are the suffixes ParseSize accepts, longest first so "Mi" is not
// read as "M" followed by garbage.
var units = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
	{"B", 1},
}

// ParseSize reads a positive size: a number of bytes, or a number with a
// binary (KiB, Mi) or decimal (MB, G) unit as Kubernetes quantities and
// GOMEMLIMIT spell them.
func ParseSize(s string) (int64, error) {
	num, mult := s, int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = rest, u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a positive size (want e.g. 1536MiB, 2GiB or bytes)")
	}
	b := f * float64(mult)
	if b >= math.MaxInt64 {
		return 0, fmt.Errorf("too large")
	}
	return int64(b), nil
}
