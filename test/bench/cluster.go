package bench

import (
	"fmt"
	"os"
	"path/filepath"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/internal/manager"
)

// Cluster is the real kube-apiserver and etcd the benchmark runs against.
type Cluster struct {
	Env *envtest.Environment
	// Config is the API server as the control plane sees it: envtest's
	// own (client-side limit 1000 requests/s; a deployment's
	// ctrl.GetConfig sets none and relies on the API server's fairness).
	Config *rest.Config
	// Client is the harness's own client, rate limits raised so setting up
	// thousands of objects is quick.
	Client client.Client
	// Kube is a typed client on the same limits, for what the
	// controller-runtime client does not do (TokenRequest).
	Kube kubernetes.Interface
}

// StartCluster starts the API server with sailplane's CRDs and the sidecar
// injector's webhook configuration installed.
func StartCluster() (*Cluster, error) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		return nil, err
	}
	hooks, err := webhookConfiguration(root)
	if err != nil {
		return nil, err
	}
	// envtestbin's environment has a /12 service range (envtest's default
	// /24 is too small for thousands of services) and generous timeouts.
	env, err := envtestbin.Environment(filepath.Join(root, "config", "crd", "bases"))
	if err != nil {
		return nil, err
	}
	env.WebhookInstallOptions = envtest.WebhookInstallOptions{
		MutatingWebhooks: []*admissionregistrationv1.MutatingWebhookConfiguration{hooks},
	}
	// Durability of a throwaway etcd is not what is measured; fsync on a
	// shared disk would only add noise to setup and churn.
	env.ControlPlane.Etcd = &envtest.Etcd{}
	env.ControlPlane.Etcd.Configure().Set("unsafe-no-fsync", "true")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the API server: %w", err)
	}
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = 500, 1000
	scheme, err := manager.NewScheme()
	if err != nil {
		return nil, err
	}
	c, err := client.New(fast, client.Options{Scheme: scheme})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(fast)
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	return &Cluster{Env: env, Config: cfg, Client: c, Kube: kube}, nil
}

// Stop stops the API server and etcd.
func (c *Cluster) Stop() error { return c.Env.Stop() }

// webhookConfiguration is config/webhook's injector configuration; envtest
// points it at this process's webhook server.
func webhookConfiguration(root string) (*admissionregistrationv1.MutatingWebhookConfiguration, error) {
	raw, err := os.ReadFile(filepath.Join(root, "config", "webhook", "mutating_webhook_configuration.yaml"))
	if err != nil {
		return nil, err
	}
	hooks := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := yaml.UnmarshalStrict(raw, hooks); err != nil {
		return nil, fmt.Errorf("config/webhook: %w", err)
	}
	for i := range hooks.Webhooks {
		hooks.Webhooks[i].ClientConfig.Service.Namespace = controlPlaneNamespace
	}
	return hooks, nil
}
