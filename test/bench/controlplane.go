package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/webhook"
)

// controlPlaneNamespace is the control plane's own namespace, as deployed.
const controlPlaneNamespace = "sailplane-system"

// Profiler labels: the control plane, the simulated proxies and the
// harness share one process, and CPU profiles are split by these.
const (
	roleLabel        = "role"
	roleControlPlane = "control-plane"
	roleProxies      = "proxies"
	roleHarness      = "harness"
)

// ControlPlane is sailplane running in this process (the control-plane
// process of cpproc.go), as cmd/sailplane runs it: manager.New (ADS server, mesh reconciler, status writer) plus the
// injection webhook through webhook.Register.
type ControlPlane struct {
	// XDSAddress is the authenticated xDS port's (TLS, tokens); the
	// plaintext port is off, as in a production deployment.
	XDSAddress string
	Started    time.Time
	Log        *captureSink
	Hooks      *latencyRecorder
	done       chan error
	cancel     context.CancelFunc
}

// StartControlPlane builds and starts the control plane in this process,
// on the addresses in set (the control-plane process of cpproc.go runs
// it). Every goroutine it starts carries the control-plane profiler
// label.
func StartControlPlane(ctx context.Context, set cpSettings, sink *captureSink) (*ControlPlane, error) {
	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.XDSSecureAddress = "", set.XDSAddress
	opts.MonitoringAddress, opts.Namespace = set.MonitoringAddress, controlPlaneNamespace
	opts.WebhookAddress, opts.WebhookCertDir = set.WebhookAddress, set.WebhookCertDir
	opts.MemoryLimit = set.MemoryLimit
	if set.PushBudgetMiB >= 0 {
		opts.PushBudgetMiB = set.PushBudgetMiB
	}
	log := logr.New(sink)
	ctrllog.SetLogger(log)
	klog.SetLogger(log)
	mgr, err := manager.New(set.restConfig(), opts, log)
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{XDSAddress: set.XDSAddress, Log: sink, Hooks: &latencyRecorder{}, done: make(chan error, 1)}
	timed := &timedManager{Manager: mgr, hooks: &timedHooks{Server: mgr.GetWebhookServer(), rec: cp.Hooks}}
	if err := webhook.Register(ctx, timed, webhook.Options{Settings: meshInjection}, log.WithName("webhook")); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	cp.cancel = cancel
	cp.Started = time.Now()
	go pprof.Do(runCtx, pprof.Labels(roleLabel, roleControlPlane), func(ctx context.Context) {
		cp.done <- mgr.Start(ctx)
	})
	if err := waitListening(ctx, set.XDSAddress, startWait); err != nil {
		cancel()
		return nil, err
	}
	return cp, nil
}

// Stop stops the manager and waits for it.
func (cp *ControlPlane) Stop() error {
	cp.cancel()
	select {
	case err := <-cp.done:
		return err
	case <-time.After(stopWait):
		return fmt.Errorf("the control plane did not stop within %s", stopWait)
	}
}

func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitListening(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the xDS port %s did not open: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// timedManager hands webhook.Register a webhook server that times every
// admission it serves: the time inside the webhook, which is what the
// injection target is about (the API server's own round trip is measured
// separately).
type timedManager struct {
	ctrlmanager.Manager
	hooks crwebhook.Server
}

func (m *timedManager) GetWebhookServer() crwebhook.Server { return m.hooks }

type timedHooks struct {
	crwebhook.Server
	rec *latencyRecorder
}

func (t *timedHooks) Register(path string, h http.Handler) {
	t.Server.Register(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		t.rec.add(time.Since(start))
	}))
}

// latencyRecorder collects durations from many goroutines.
type latencyRecorder struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencyRecorder) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// take returns what was recorded and starts afresh.
func (l *latencyRecorder) take() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.d
	l.d = nil
	return out
}
