package outage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// crash kills the test's own kube-apiserver, found by the certificate
// directory only it was started with. A graceful stop is no outage to test:
// kube-apiserver keeps its open watches streaming for up to a minute after
// it stops listening.
func crash(t *testing.T, certDir string) {
	t.Helper()
	pid, err := processWith("--cert-dir=" + certDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing kube-apiserver (pid %d): %v", pid, err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); os.IsNotExist(err) {
			return
		}
		// A killed child stays a zombie until envtest's wait reaps it.
		if stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); err == nil && bytes.Contains(stat, []byte(") Z ")) {
			return
		}
	}
	t.Fatalf("kube-apiserver (pid %d) still running after SIGKILL", pid)
}

// processWith returns the one process whose command line has arg.
func processWith(arg string) (int, error) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	found := []int{}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, a := range bytes.Split(cmdline, []byte{0}) {
			if string(a) == arg {
				found = append(found, pid)
				break
			}
		}
	}
	if len(found) != 1 {
		return 0, fmt.Errorf("processes with %s: %v, want exactly one", arg, found)
	}
	return found[0], nil
}
