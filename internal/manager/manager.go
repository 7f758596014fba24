// Package manager builds sailplane's controller-runtime manager: the scheme,
// the monitoring endpoints (/metrics, /healthz, /readyz on one port, as
// istiod's 15014), the admission webhook server and leader election. It is
// glue only; the xDS server and the controllers are added by their owners.
package manager

import (
	"fmt"
	"net"
	"strconv"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
	"github.com/sailplane/sailplane/internal/console"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/memlimit"
)

// New builds the manager; the caller runs it with Start. Health checks added
// with AddHealthzCheck and AddReadyzCheck are served on the monitoring port.
func New(cfg *rest.Config, opts Options, log logr.Logger) (ctrlmanager.Manager, error) {
	opts = opts.withDefaults()
	// The limit is the process's; set before the caches fill so the
	// start-up's garbage is already collected against it.
	limit, err := memlimit.Apply(opts.MemoryLimit)
	if err != nil {
		return nil, err
	}
	log.Info("Go memory limit", "limitBytes", limit.Bytes, "source", limit.Source)
	cfg = withoutClientThrottle(cfg)
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	hooks, err := newWebhookServer(opts.WebhookAddress, opts.WebhookCertDir)
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the Kubernetes client: %w", err)
	}
	opts.TrustDomain = startupTrustDomain(kube, opts, log)
	trust := newTrust(kube, opts, log)
	live, ready := newChecks(), newChecks()
	api := newAPITracker(log)
	xdsServer := newXDS(log, opts.PushBudgetMiB, opts.LoadReportInterval)
	debug := debugHandlers(xdsServer)
	ui := console.New(xdsServer)
	page := addConsole(ui, debug)
	trust.guardDebug(debug)
	handlers := probeHandlers(live, ready)
	for path, h := range debug {
		handlers[path] = h
	}
	handlers[console.PagePath] = page
	mgr, err := ctrlmanager.New(cfg, ctrlmanager.Options{
		Scheme:   scheme,
		Logger:   log,
		NewCache: newCacheFunc(api),
		// The only ConfigMaps sailplane reads are the trust bundles it
		// publishes; caching every ConfigMap of the cluster would cost
		// memory for nothing.
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}: {Field: fields.OneTermEqualSelector("metadata.name", defaults.RootCertConfigMap)},
			// Pods are cached as the skeletons the mesh reads: an
			// injected pod's proxy arguments alone are several KiB.
			&corev1.Pod{}: {Transform: podSkeleton},
		}},
		Metrics: metricsserver.Options{
			BindAddress:   opts.MonitoringAddress,
			ExtraHandlers: handlers,
		},
		// "0" turns off controller-runtime's own probe port: the probes are
		// on the monitoring port instead (see probes.go).
		HealthProbeBindAddress: "0",
		WebhookServer:          hooks,
		// No manager-wide leader election: controller-runtime's ends the
		// process on a lost lease (any API-server outage over 10 s). The
		// one leader-only task, the status writer, elects for itself
		// (leader.go) and the xDS server runs on every replica throughout.
		LeaderElection: false,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the controller manager: %w", err)
	}
	m := &monitoredManager{Manager: mgr, live: live, ready: ready}
	if err := m.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := m.AddReadyzCheck("informers-synced", cacheSynced(mgr.GetCache())); err != nil {
		return nil, err
	}
	if err := m.AddReadyzCheck(apiServerCheck, api.Check(opts.APIOutageGrace)); err != nil {
		return nil, err
	}
	if err := addMesh(m, xdsServer, trust, opts, log, ui.SetMesh); err != nil {
		return nil, err
	}
	if err := addMemoryReturner(m); err != nil {
		return nil, err
	}
	return m, nil
}

// NewScheme holds every type sailplane reads or writes: Kubernetes' built-in
// kinds, networking.istio.io and security.istio.io.
func NewScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("registering Kubernetes types: %w", err)
	}
	if err := networkingv1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("registering networking.istio.io types: %w", err)
	}
	if err := securityv1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("registering security.istio.io types: %w", err)
	}
	if err := telemetryv1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("registering telemetry.istio.io types: %w", err)
	}
	if err := policyv1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("registering policy.sailplane.io types: %w", err)
	}
	return scheme, nil
}

// newWebhookServer turns "host:port" into webhook options; an empty address
// gives a server that registers handlers but never listens (Port -1).
func newWebhookServer(addr, certDir string) (webhook.Server, error) {
	if addr == "" {
		return webhook.NewServer(webhook.Options{Port: -1}), nil
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("webhook address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	// controller-runtime reads port 0 as "use 9443", so an ephemeral port
	// cannot be asked for; refuse it rather than listen somewhere unexpected.
	if err != nil || port < 1 || port > 65535 {
		return nil, fmt.Errorf("webhook address %q: port must be a number from 1 to 65535", addr)
	}
	return webhook.NewServer(webhook.Options{Host: host, Port: port, CertDir: certDir}), nil
}

// withoutClientThrottle gives a config that leaves QPS unset what
// controller-runtime's GetConfig gives one loaded from a kubeconfig: no
// client-side rate limit, the API server's priority and fairness instead.
// Without it a config from elsewhere (the local mode's embedded API server,
// tests) falls back to client-go's 5 requests per second, and writing the
// status of a few hundred rules after a start takes minutes.
func withoutClientThrottle(cfg *rest.Config) *rest.Config {
	if cfg.QPS != 0 || cfg.RateLimiter != nil {
		return cfg
	}
	c := rest.CopyConfig(cfg)
	c.QPS = -1
	return c
}
