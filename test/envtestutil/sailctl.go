package envtestutil

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sailplane/sailplane/internal/envtestbin"
)

// BuildSailctl builds the sailctl binary into the test's temporary folder,
// for suites that run it as a user would.
func BuildSailctl(t *testing.T) string {
	t.Helper()
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "sailctl")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sailctl")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building sailctl: %v\n%s", err, out)
	}
	return bin
}
