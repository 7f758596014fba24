package memlimit

import (
	"os"
	"runtime/debug"
)

// cgroupMemoryMax is the cgroup v2 limit as the process sees it (its own
// cgroup is mounted at the root inside a container).
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// Apply resolves spec against this process's environment and sets the
// runtime's limit; it returns what it chose.
func Apply(spec string) (Choice, error) {
	raw, _ := os.ReadFile(cgroupMemoryMax)
	c, err := Resolve(spec, os.Getenv("GOMEMLIMIT"), string(raw))
	if err != nil {
		return c, err
	}
	if c.Bytes > 0 {
		debug.SetMemoryLimit(c.Bytes)
	}
	return c, nil
}
