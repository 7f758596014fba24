// Package local checks the local mode's demo flow as the README and the
// start-up hint print it: the demo mesh, sailctl x call through xDS, and a
// VirtualService change that shows up in the answers.
package local

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/demo"
	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/test/envtestutil"
)

func TestDemoFlow(t *testing.T) {
	env, cfg, err := envtestutil.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.MonitoringAddress, opts.WebhookAddress = envtestutil.FreeAddr(t), envtestutil.FreeAddr(t), ""
	opts.XDSSecureAddress = envtestutil.FreeAddr(t)
	mgr, err := manager.New(cfg, opts, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = mgr.Start(ctx) }()
	mesh, err := demo.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mesh.Stop)

	sailctl := buildSailctl(t)
	call := func() string {
		out, err := exec.Command(sailctl, "x", "call", demo.Target, "--count", "20", "--xds-address", opts.XDSAddress).CombinedOutput()
		if err != nil {
			t.Fatalf("sailctl x call: %v\n%s", err, out)
		}
		return lastLine(string(out))
	}
	eventually(t, "all calls answered by v1", func() bool { return call() == "answers: v1: 20" })

	scheme, _ := manager.NewScheme()
	c, _ := client.New(cfg, client.Options{Scheme: scheme})
	split := `{hosts: [reviews.demo.local], http: [{route: [{destination: {host: reviews.demo.local, subset: v1}, weight: 50}, {destination: {host: reviews.demo.local, subset: v2}, weight: 50}]}]}`
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		vs := &networkingv1.VirtualService{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: demo.Namespace, Name: "reviews"}, vs); err != nil {
			return err
		}
		if err := yaml.Unmarshal([]byte(split), &vs.Spec); err != nil {
			return err
		}
		return c.Update(ctx, vs) // the status writer may have bumped the version
	})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "answers from both versions after the 50/50 split", func() bool {
		got := call()
		return strings.Contains(got, "v1: ") && strings.Contains(got, "v2: ")
	})
}

func buildSailctl(t *testing.T) string {
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
