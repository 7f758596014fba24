package netns

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(envRole); role != "" {
		runRole(role)
	}
	code := m.Run()
	if workDir != "" {
		_ = os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// requiredTools are what the test and sailplane-init run. CI installs them;
// a missing one fails the test, because a skipped capture test proves
// nothing.
var requiredTools = []string{
	"ip",
	"iptables-save", "iptables-restore", "ip6tables-save", "ip6tables-restore",
	"iptables-legacy-save", "iptables-legacy-restore", "ip6tables-legacy-save", "ip6tables-legacy-restore",
	"iptables-nft-save", "iptables-nft-restore", "ip6tables-nft-save", "ip6tables-nft-restore",
}

var (
	prepareOnce sync.Once
	prepareErr  error
	// workDir holds the built sailplane-init and a copy of this test
	// binary, both world-executable so helpers can run as UID 1337.
	workDir   string
	initBin   string
	helperBin string
)

// prepare checks the machine and builds the binaries once for all tests.
func prepare(t *testing.T) {
	t.Helper()
	prepareOnce.Do(func() { prepareErr = doPrepare() })
	if prepareErr != nil {
		t.Fatal(prepareErr)
	}
}

func doPrepare() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the network-namespace test must run as root (it creates namespaces and programs iptables); CI runs it as root")
	}
	var missing []string
	for _, tool := range requiredTools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s: install the iptables and iproute2 packages (apt-get install -y iptables iproute2)", strings.Join(missing, ", "))
	}
	dir, err := os.MkdirTemp("", "sailplane-netns-")
	if err != nil {
		return err
	}
	workDir = dir
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	initBin = filepath.Join(dir, "sailplane-init")
	build := exec.Command("go", "build", "-o", initBin, "github.com/sailplane/sailplane/cmd/sailplane-init")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build sailplane-init: %v\n%s", err, out)
	}
	helperBin = filepath.Join(dir, "netns-helper")
	return copyExecutable(helperBin)
}

// copyExecutable copies this test binary to dst with mode 0755: go test
// keeps it in a directory only root can enter.
func copyExecutable(dst string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	in, err := os.Open(self)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// must runs a command and fails the test with its output if it fails.
func must(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
