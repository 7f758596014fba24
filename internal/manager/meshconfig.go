package manager

import (
	"github.com/go-logr/logr"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/sailplane/sailplane/controllers"
)

// meshConfigReader watches ConfigMap istio in the control plane's
// namespace through a cache of its own (the manager's holds only the
// trust-bundle ConfigMaps), started with the manager.
func meshConfigReader(m ctrlmanager.Manager, namespace string, log logr.Logger) (*controllers.MeshConfigReader, error) {
	c, err := controllers.NewMeshConfigCache(m.GetConfig(), m.GetScheme(), namespace)
	if err != nil {
		return nil, err
	}
	if err := m.Add(c); err != nil {
		return nil, err
	}
	return controllers.NewMeshConfigReader(c, namespace, m.GetEventRecorder("sailplane-meshconfig"), log.WithName("meshconfig"), ctrlmetrics.Registry), nil
}
