// Package local checks the local mode's demo flow as the start-up hint
// prints it: the demo mesh, the hint's sailctl commands (pointed at this
// instance's addresses) and its kubectl apply, which must change the
// answers without a warning.
package local

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/sailplane/sailplane/internal/demo"
	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/test/envtestutil"
)

func TestDemoFlow(t *testing.T) {
	env, cfg, err := envtestutil.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	// Not the default ports: the hint must point sailctl at these.
	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.MonitoringAddress, opts.WebhookAddress = envtestutil.FreeAddr(t), envtestutil.FreeAddr(t), ""
	opts.XDSSecureAddress = envtestutil.FreeAddr(t)
	mgr, err := manager.New(cfg, opts, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = mgr.Start(ctx) }()
	// What local mode's embedded API server is given at start (localenv):
	// the account sailctl's debug commands request a token for.
	if _, err := envtestutil.DebugToken(ctx, cfg, opts.Namespace); err != nil {
		t.Fatal(err)
	}
	mesh, err := demo.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mesh.Stop)
	h := parseHint(t, mesh.Hint(kubeconfig, demo.Addresses{XDS: opts.XDSAddress, Monitoring: opts.MonitoringAddress}))

	sailctl := envtestutil.BuildSailctl(t)
	// The hint's third terminal has exported KUBECONFIG; sailctl's debug
	// commands take their credentials from it.
	run := func(args []string) string {
		cmd := exec.Command(sailctl, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sailctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	call := func() string { return lastLine(run(h.call)) }
	eventually(t, "all calls answered by v1", func() bool { return call() == "answers: v1: 20" })

	// The first terminal's endless call keeps a proxy connected for
	// proxy-status and proxy-config.
	bg := exec.Command(sailctl, h.callForever...)
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bg.Process.Kill(); _ = bg.Wait() })
	eventually(t, "the hint's proxy-status to list "+demo.ProxyName, func() bool {
		return strings.Contains(run(h.proxyStatus), demo.ProxyName)
	})

	kubectlApply(t, kubeconfig, h.manifest)
	eventually(t, "answers from both versions after the 50/50 split", func() bool {
		got := call()
		return strings.Contains(got, "v1: ") && strings.Contains(got, "v2: ")
	})
	if out := run(h.proxyConfig); !strings.Contains(out, demo.Host) {
		t.Errorf("the hint's proxy-config route does not show %s:\n%s", demo.Host, out)
	}
}

// hint is the start-up hint's commands, as sailctl arguments.
type hint struct {
	callForever, call, proxyStatus, proxyConfig []string
	manifest                                    string
}

func parseHint(t *testing.T, text string) hint {
	t.Helper()
	var h hint
	var manifest []string
	inManifest := false
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case strings.HasPrefix(line, "kubectl apply -f - <<'EOF'"):
			inManifest = true
		case line == "EOF":
			inManifest = false
		case inManifest:
			manifest = append(manifest, strings.TrimPrefix(raw, "  ")) // the hint indents by two
		case strings.HasPrefix(line, "go run ./cmd/sailctl "):
			if i := strings.Index(line, "#"); i >= 0 {
				line = line[:i]
			}
			args := strings.Fields(strings.TrimPrefix(line, "go run ./cmd/sailctl "))
			switch joined := strings.Join(args, " "); {
			case strings.Contains(joined, "--count 0"):
				h.callForever = args
			case args[0] == "x":
				h.call = args
			case args[0] == "proxy-status":
				h.proxyStatus = args
			case args[0] == "proxy-config":
				h.proxyConfig = args
			}
		}
	}
	h.manifest = strings.Join(manifest, "\n") + "\n"
	if h.callForever == nil || h.call == nil || h.proxyStatus == nil || h.proxyConfig == nil || len(manifest) == 0 {
		t.Fatalf("hint lacks a command the test follows:\n%s", text)
	}
	return h
}

// kubectlApply runs the hint's kubectl apply, which must not warn (the
// demo's objects must look kubectl-applied).
func kubectlApply(t *testing.T, kubeconfig, manifest string) {
	t.Helper()
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not installed: the hint's kubectl apply cannot be checked")
	}
	cmd := exec.Command(kubectl, "apply", "-f", "-")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Stdin = strings.NewReader(manifest)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("kubectl apply warned:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "configured") {
		t.Errorf("kubectl apply did not change the VirtualService: %s", stdout.String())
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
