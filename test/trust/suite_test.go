// Package trust tests authenticated xDS end to end: the real
// kube-apiserver and etcd (envtest) issue and review service-account
// tokens bound to pods, the control plane runs both xDS ports with its
// mesh CA, and real gRPC ADS clients connect as proxies, honest and not.
package trust

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// certTTL is short so that renewal happens within a test; every other
// test is indifferent to it.
const certTTL = 12 * time.Second

// controlNS is the control plane's namespace in these tests.
const controlNS = "sailplane-system"

var (
	env       *envtest.Environment
	cfg       *rest.Config
	k8s       client.Client
	clientset *kubernetes.Clientset
	cp        *controlPlane
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	env, cfg, err = envtestutil.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	scheme, _ := manager.NewScheme()
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if clientset, err = kubernetes.NewForConfig(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stop, err := startControlPlane()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	return m.Run()
}

// controlPlane is the running control plane's addresses.
type controlPlane struct {
	plaintext, secure, monitoring string
}

func startControlPlane() (func(), error) {
	if err := ensureNamespace(context.Background(), controlNS); err != nil {
		return nil, err
	}
	c := &controlPlane{plaintext: freeAddr(), secure: freeAddr(), monitoring: freeAddr()}
	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.XDSSecureAddress, opts.MonitoringAddress, opts.WebhookAddress = c.plaintext, c.secure, c.monitoring, ""
	opts.Namespace = controlNS
	opts.WorkloadCertTTL = certTTL
	mgr, err := manager.New(cfg, opts, envtestutil.TestLogger())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			fmt.Fprintln(os.Stderr, "manager did not stop")
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for _, addr := range []string{c.plaintext, c.secure} {
		for {
			conn, err := net.Dial("tcp", addr)
			if err == nil {
				conn.Close()
				break
			}
			if time.Now().After(deadline) {
				stop()
				return nil, fmt.Errorf("control plane port %s did not open", addr)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cp = c
	return stop, nil
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}
