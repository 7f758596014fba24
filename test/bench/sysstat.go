package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/self/stat's times; it is 100
// on every Linux architecture Go runs on.
const clockTick = 10 * time.Millisecond

// processCPU is the CPU time (user + system) of this process.
func processCPU() time.Duration { return statCPU("/proc/self/stat") }

// statCPU reads a process's CPU time from its /proc/PID/stat.
func statCPU(path string) time.Duration {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after its
	// closing parenthesis are fixed: utime and stime are the 12th and 13th.
	rest := b[bytes.LastIndexByte(b, ')')+1:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * clockTick
}

// procStatus reads fields of /proc/self/status (or /proc/meminfo) in
// bytes ("VmRSS: 1234 kB").
func procStatus(path string, keys ...string) map[string]uint64 {
	out := map[string]uint64{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		for _, want := range keys {
			if k == want {
				fs := strings.Fields(v)
				if len(fs) > 0 {
					n, _ := strconv.ParseUint(fs[0], 10, 64)
					out[k] = n * 1024
				}
			}
		}
	}
	return out
}

// Machine describes where the run happened.
type Machine struct {
	Cores     int
	Memory    uint64
	Available uint64
	GoVersion string
	Kernel    string
	CPUModel  string
	// LoadAvg is the 1, 5 and 15 minute load when the run started: the
	// machine may be shared.
	LoadAvg string
	// MemoryLimit is the Go runtime's soft memory limit (GOMEMLIMIT), 0
	// when none is set.
	MemoryLimit int64
	// Commit is the sailplane commit measured, with the number of files
	// changed on top of it (the benchmark's own included).
	Commit string
}

func describeMachine() Machine {
	mem := procStatus("/proc/meminfo", "MemTotal", "MemAvailable")
	m := Machine{Cores: runtime.NumCPU(), Memory: mem["MemTotal"], Available: mem["MemAvailable"], GoVersion: runtime.Version()}
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		m.MemoryLimit = limit
	}
	if out, err := exec.Command("uname", "-srm").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	m.Commit = GitCommit()
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// GitCommit is the working tree's commit, with the number of tracked
// files changed on top of it.
func GitCommit() string {
	head, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	out := strings.TrimSpace(string(head))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		if n := len(strings.Fields(strings.TrimSpace(string(st)))) / 2; n > 0 {
			out += fmt.Sprintf(" with %d tracked files changed", n)
		}
	}
	return out
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// mib formats bytes as MiB.
func mib(b uint64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
