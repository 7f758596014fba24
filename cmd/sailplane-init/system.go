package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/sailplane/sailplane/internal/iptables"
)

// system is the real machine: commands through os/exec, files from disk.
type system struct{}

func (system) Run(name string, args []string, stdin string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// iptables-restore says which line it rejected only on stderr.
		return stdout.String(), fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func (system) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// loggingRunner echoes every command that changes something, with its
// input, so `kubectl logs -c istio-init` shows exactly what was written.
// Read-only commands (the saves and `ip rule show`) are not echoed.
type loggingRunner struct {
	iptables.Runner
	out io.Writer
}

func (l loggingRunner) Run(name string, args []string, stdin string) (string, error) {
	if !readOnly(name, args) {
		fmt.Fprintf(l.out, "+ %s\n", strings.TrimSpace(name+" "+strings.Join(args, " ")))
		fmt.Fprint(l.out, stdin)
	}
	return l.Runner.Run(name, args, stdin)
}

func readOnly(name string, args []string) bool {
	return strings.HasSuffix(name, "-save") || len(args) >= 2 && args[len(args)-1] == "show"
}
