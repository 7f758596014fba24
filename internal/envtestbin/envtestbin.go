// Package envtestbin locates the kube-apiserver and etcd binaries that the
// tests and the local mode run. They are built from the Go module proxy by
// test/tools/envtest-binaries.sh (setup-envtest cannot download here) and
// cached under bin/k8s/; this package runs that script when the cache is
// empty, so a fresh checkout needs nothing but Go.
package envtestbin

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// EnvAssets is the variable controller-runtime's envtest reads; when it is
// set we trust it and build nothing.
const EnvAssets = "KUBEBUILDER_ASSETS"

var (
	once    sync.Once
	dir     string
	findErr error
)

// Dir returns the directory holding kube-apiserver and etcd, building them
// on first use. It is safe to call from many tests; the build runs once per
// process.
func Dir() (string, error) {
	once.Do(func() { dir, findErr = locate() })
	return dir, findErr
}

func locate() (string, error) {
	if d := os.Getenv(EnvAssets); d != "" {
		return d, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "test", "tools", "envtest-binaries.sh")
	cmd := exec.Command("bash", script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building envtest binaries with %s: %v\n%s", script, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return lines[len(lines)-1], nil
}

// ModuleRoot walks up from the working directory to the directory holding
// go.mod, so tests in any package find the repository's files.
func ModuleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("go.mod not found above the working directory")
		}
		d = parent
	}
}
