// Package xds tests the running control plane end to end: the real
// kube-apiserver and etcd (envtest), the manager with the mesh controller,
// and real ADS clients over gRPC.
package xds

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/test/envtestutil"
)

var (
	env *envtest.Environment
	cfg *rest.Config
	k8s client.Client
	// debugToken reads the replicas' debug endpoints, as sailctl does.
	debugToken string
)

func TestMain(m *testing.M) {
	var err error
	env, cfg, err = envtestutil.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scheme, _ := manager.NewScheme()
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if debugToken, err = envtestutil.DebugToken(context.Background(), cfg, "default"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

// replica is one running control plane.
type replica struct {
	xds, secure, monitoring string
	cancel                  context.CancelFunc
	done                    chan error
}

// startReplica runs a manager (mesh controller, ADS server, status
// writer) against the test API server on free loopback ports.
func startReplica(t *testing.T, leader bool) *replica {
	t.Helper()
	return startReplicaIn(t, leader, "default")
}

// startReplicaIn is startReplica with the control plane in namespace (its
// ConfigMap istio there is the mesh configuration).
func startReplicaIn(t *testing.T, leader bool, namespace string) *replica {
	t.Helper()
	r := &replica{xds: envtestutil.FreeAddr(t), monitoring: envtestutil.FreeAddr(t), done: make(chan error, 1)}
	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.MonitoringAddress, opts.WebhookAddress = r.xds, r.monitoring, ""
	r.secure = envtestutil.FreeAddr(t)
	opts.XDSSecureAddress = r.secure
	opts.Namespace, opts.LeaderElect = namespace, leader
	mgr, err := manager.New(cfg, opts, envtestutil.TestLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("manager did not stop")
		}
	})
	envtestutil.WaitFor(t, 30*time.Second, "the xDS port to open", func() bool {
		c, err := net.Dial("tcp", r.xds)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return r
}
