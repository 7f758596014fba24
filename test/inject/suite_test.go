// Package inject runs the sidecar injector against the real kube-apiserver:
// the webhook configuration from config/webhook is installed (its service
// reference rewritten to this process by envtest), and pods are created the
// way users and ReplicaSets create them.
package inject

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/webhook"
)

// controlPlaneNamespace stands for config/default's namespace.
const controlPlaneNamespace = "sailplane-system"

var (
	kube     kubernetes.Interface
	settings = inject.DefaultSettings().Complete(controlPlaneNamespace)
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	hooks, err := webhookConfiguration()
	if err != nil {
		return 0, err
	}
	env, err := envtestbin.Environment()
	if err != nil {
		return 0, err
	}
	env.WebhookInstallOptions = envtest.WebhookInstallOptions{
		MutatingWebhooks: []*admissionregistrationv1.MutatingWebhookConfiguration{hooks},
	}
	cfg, err := env.Start()
	if err != nil {
		return 0, fmt.Errorf("starting envtest: %w", err)
	}
	defer func() { _ = env.Stop() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := startInjector(ctx, cfg, env.WebhookInstallOptions); err != nil {
		return 0, err
	}
	kube = kubernetes.NewForConfigOrDie(cfg)
	return m.Run(), nil
}

// webhookConfiguration reads config/webhook's configuration and fills in
// the control plane namespace as config/default does.
func webhookConfiguration() (*admissionregistrationv1.MutatingWebhookConfiguration, error) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(root, "config", "webhook", "mutating_webhook_configuration.yaml"))
	if err != nil {
		return nil, err
	}
	hooks := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := yaml.UnmarshalStrict(raw, hooks); err != nil {
		return nil, err
	}
	for i := range hooks.Webhooks {
		w := &hooks.Webhooks[i]
		w.ClientConfig.Service.Namespace = controlPlaneNamespace
		for j, e := range w.NamespaceSelector.MatchExpressions {
			for k, v := range e.Values {
				if v == "system" {
					w.NamespaceSelector.MatchExpressions[j].Values[k] = controlPlaneNamespace
				}
			}
		}
	}
	return hooks, nil
}

// startInjector runs a manager whose webhook server has only the injector,
// registered through webhook.Register as cmd/sailplane does; envtest wrote
// the serving certificate, so Register manages none.
func startInjector(ctx context.Context, cfg *rest.Config, o envtest.WebhookInstallOptions) error {
	// Kubernetes' kinds are all the injector reads (pods, namespaces).
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	log := zap.New(zap.WriteTo(os.Stderr))
	ctrl.SetLogger(log)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer: crwebhook.NewServer(crwebhook.Options{
			Host: o.LocalServingHost, Port: o.LocalServingPort, CertDir: o.LocalServingCertDir,
		}),
	})
	if err != nil {
		return err
	}
	if err := webhook.Register(ctx, mgr, webhook.Options{Settings: settings}, log); err != nil {
		return err
	}
	go func() {
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	return waitServing(mgr)
}

func waitServing(mgr ctrl.Manager) error {
	check := mgr.GetWebhookServer().StartedChecker()
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err = check(nil); err == nil {
			return nil
		}
	}
	return errors.Join(errors.New("the webhook server did not start"), err)
}

// testName turns a test name into a namespace name.
func testName(t *testing.T) string {
	n := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(n) > 50 {
		n = n[:50]
	}
	return strings.Trim(n, "-")
}
