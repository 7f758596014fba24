package manager

import (
	"context"
	"testing"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sailplane/sailplane/test/envtestutil"
)

// The trust domain read at start-up comes from the "mesh" key alone: a
// mistake in the "sailplane" key (rate limit providers) must not switch
// the CA to --trust-domain.
func TestStartupTrustDomainIgnoresTheSailplaneKey(t *testing.T) {
	env, cfg, err := envtestutil.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	kube := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	const ns = "sailplane-system"
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "istio", Namespace: ns},
		Data: map[string]string{
			"mesh":      "trustDomain: example.org\n",
			"sailplane": "rateLimitProviders:\n- {name: rls, port: 8081, domain: mesh, failureModeDenied: true}\n",
		},
	}
	if _, err := kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	opts := Options{Namespace: ns, TrustDomain: "cluster.local"}
	if got := startupTrustDomain(kube, opts, logr.Discard()); got != "example.org" {
		t.Errorf("trust domain %q, want example.org from the mesh key", got)
	}
}
