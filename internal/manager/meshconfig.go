package manager

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/sailplane/sailplane/controllers"
	"github.com/sailplane/sailplane/internal/meshconfig"
)

// meshConfigReader watches ConfigMap istio in the control plane's
// namespace through a cache of its own (the manager's holds only the
// trust-bundle ConfigMaps), started with the manager.
func meshConfigReader(m ctrlmanager.Manager, namespace, trustDomain string, log logr.Logger) (*controllers.MeshConfigReader, error) {
	c, err := controllers.NewMeshConfigCache(m.GetConfig(), m.GetScheme(), namespace)
	if err != nil {
		return nil, err
	}
	if err := m.Add(c); err != nil {
		return nil, err
	}
	r := controllers.NewMeshConfigReader(c, namespace, m.GetEventRecorder("sailplane-meshconfig"), log.WithName("meshconfig"), ctrlmetrics.Registry)
	r.TrustDomain = trustDomain
	return r, nil
}

// startupTrustDomain is the trust domain the CA and the token reviewers
// are built with: ConfigMap istio's trustDomain when it sets one (Istio
// users configure it there), else --trust-domain. It is read once, at
// start-up; a later edit of trustDomain is reported and applies at the
// next start (certificates already issued carry the old one).
func startupTrustDomain(kube kubernetes.Interface, opts Options, log logr.Logger) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cm, err := kube.CoreV1().ConfigMaps(opts.Namespace).Get(ctx, meshconfig.ConfigMapName, metav1.GetOptions{})
	if err != nil {
		if !apierrors.IsNotFound(err) {
			log.Info("could not read ConfigMap istio at start-up; using --trust-domain", "namespace", opts.Namespace, "error", err.Error())
		}
		return opts.TrustDomain
	}
	// Only the "mesh" key: a mistake in sailplane's own key must not
	// change the identity every certificate carries.
	c, err := meshconfig.Parse("ConfigMap "+cm.Namespace+"/"+cm.Name, cm.Data[meshconfig.ConfigMapKey])
	if err != nil {
		log.Info("ConfigMap istio does not parse; using --trust-domain", "error", err.Error())
		return opts.TrustDomain
	}
	td, ok := c.ExplicitTrustDomain()
	if !ok {
		return opts.TrustDomain
	}
	if td != opts.TrustDomain {
		log.Info("trust domain from ConfigMap istio overrides --trust-domain", "trustDomain", td, "flag", opts.TrustDomain)
	}
	return td
}
