package controllers

import (
	"context"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/meshconfig"
	"github.com/sailplane/sailplane/internal/metrics"
)

// MeshConfigReader reads Istio's mesh configuration, ConfigMap istio in the
// control plane's namespace, for each reconcile. An edit that does not
// parse is reported once (a log line, a Warning Event on the ConfigMap, the
// sailplane_mesh_config_invalid_total counter) and the last configuration
// that parsed stays in force, so a typo never takes tracing, logs or
// anything else the mesh configuration decides away from running proxies.
type MeshConfigReader struct {
	// Cache holds ConfigMap istio of Namespace only (NewMeshConfigCache).
	Cache     cache.Cache
	Namespace string
	Events    recorder.EventRecorder
	Log       logr.Logger
	// TrustDomain is the trust domain the CA runs with (read at start-up);
	// an edit of trustDomain is reported as needing a restart.
	TrustDomain string

	invalid prometheus.Counter

	mu   sync.Mutex
	last *meshconfig.Config
	// rejected is the text of the edit last reported, so a refused edit is
	// reported once, not at every reconcile.
	rejected string
	// restartFor is the trust domain last reported as needing a restart.
	restartFor string
	// warned is the text whose unhonoured fields were last reported.
	warned string
}

// NewMeshConfigCache is an informer cache holding only ConfigMap istio in
// namespace: the manager's cache keeps only the trust-bundle ConfigMaps.
func NewMeshConfigCache(cfg *rest.Config, scheme *runtime.Scheme, namespace string) (cache.Cache, error) {
	return cache.New(cfg, cache.Options{
		Scheme:            scheme,
		DefaultNamespaces: map[string]cache.Config{namespace: {}},
		ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}: {Field: fields.OneTermEqualSelector("metadata.name", meshconfig.ConfigMapName)},
		},
	})
}

// NewMeshConfigReader registers the reader's counter with reg.
func NewMeshConfigReader(c cache.Cache, namespace string, events recorder.EventRecorder, log logr.Logger, reg prometheus.Registerer) *MeshConfigReader {
	return &MeshConfigReader{
		Cache: c, Namespace: namespace, Events: events, Log: log,
		invalid: metrics.Register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sailplane_mesh_config_invalid_total",
			Help: "Edits of ConfigMap istio (the mesh configuration) refused because they do not parse; the last good configuration stays in force.",
		})),
	}
}

// source triggers a reconcile on every change of ConfigMap istio.
func (r *MeshConfigReader) source(h handler.EventHandler) source.Source {
	return source.Kind[client.Object](r.Cache, &corev1.ConfigMap{}, h)
}

// Read returns the mesh configuration in force: the ConfigMap's when it
// parses, the last good one when it does not, nil (Istio's defaults) when
// there is no ConfigMap istio.
func (r *MeshConfigReader) Read(ctx context.Context) (*meshconfig.Config, error) {
	if r == nil {
		return nil, nil
	}
	var cm corev1.ConfigMap
	err := r.Cache.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: meshconfig.ConfigMapName}, &cm)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case apierrors.IsNotFound(err):
		r.last, r.rejected = nil, ""
		return nil, nil
	case err != nil:
		return nil, err
	}
	c, err := bundle.MeshConfigOf(&cm)
	if err == nil {
		r.last, r.rejected = c, ""
		r.reportTrustDomain(&cm, c)
		r.reportNotHonoured(&cm, c)
		return c, nil
	}
	// Both keys count: a refused "sailplane" key is reported again when
	// it is edited, even if "mesh" stayed the same.
	if text := cm.Data[meshconfig.ConfigMapKey] + "\x00" + cm.Data[meshconfig.ExtensionsKey]; text != r.rejected {
		r.rejected = text
		r.invalid.Inc()
		r.Log.Error(err, "mesh configuration refused; the last good one stays in force", "configMap", r.Namespace+"/"+meshconfig.ConfigMapName)
		if r.Events != nil {
			r.Events.Eventf(&cm, nil, corev1.EventTypeWarning, "InvalidMeshConfig", "ParseMeshConfig", "%s; the last good mesh configuration stays in force", err.Error())
		}
	}
	return r.last, nil
}

// reportTrustDomain says, once per value, that a trustDomain other than the
// one in force applies only when sailplane restarts: the CA and every
// issued certificate carry the trust domain read at start-up.
func (r *MeshConfigReader) reportTrustDomain(cm *corev1.ConfigMap, c *meshconfig.Config) {
	td, ok := c.ExplicitTrustDomain()
	if !ok || r.TrustDomain == "" || td == r.TrustDomain || td == r.restartFor {
		return
	}
	r.restartFor = td
	r.Log.Info("trustDomain changed in ConfigMap istio; it applies when sailplane restarts", "inForce", r.TrustDomain, "configured", td)
	if r.Events != nil {
		r.Events.Eventf(cm, nil, corev1.EventTypeWarning, "TrustDomainNeedsRestart", "ParseMeshConfig", "trustDomain %q applies when sailplane restarts; %q is in force", td, r.TrustDomain)
	}
}

// reportNotHonoured says, once per edit, which fields of the mesh
// configuration sailplane parsed but does not act on (the ConfigMap has no
// status to carry them; sailctl x translate prints them too).
func (r *MeshConfigReader) reportNotHonoured(cm *corev1.ConfigMap, c *meshconfig.Config) {
	text := cm.Data[meshconfig.ConfigMapKey]
	if len(c.Problems) == 0 || text == r.warned {
		return
	}
	r.warned = text
	msgs := make([]string, len(c.Problems))
	for i, p := range c.Problems {
		msgs[i] = p.String()
	}
	note := strings.Join(msgs, "; ")
	r.Log.Info("mesh configuration fields not honoured", "configMap", r.Namespace+"/"+meshconfig.ConfigMapName, "fields", note)
	if r.Events != nil {
		if len(note) > 1000 {
			note = note[:997] + "..."
		}
		r.Events.Eventf(cm, nil, corev1.EventTypeWarning, "MeshConfigNotHonoured", "ParseMeshConfig", "%s", note)
	}
}
