package controllers

import (
	"context"
	"reflect"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/metrics"
	"github.com/sailplane/sailplane/internal/model"
)

// The mesh controller's series under istiod's names (its kube registry
// and config controllers), so Istio's control-plane dashboard charts
// sailplane unchanged.
var (
	regEvents = metrics.Register(ctrlmetrics.Registry, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pilot_k8s_reg_events",
		Help: "Events from k8s registry.",
	}, []string{"type", "event"}))
	cfgEvents = metrics.Register(ctrlmetrics.Registry, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pilot_k8s_cfg_events",
		Help: "Events from k8s config.",
	}, []string{"type", "event"}))
	servicesGauge = metrics.Register(ctrlmetrics.Registry, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pilot_services",
		Help: "Total services known to pilot.",
	}))
	rejectedObjects = metrics.Register(ctrlmetrics.Registry, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "sailplane_xds_rejected_objects",
		Help: "Standing proxy rejections (NACKs) of configuration an object produced, by the object (kind, namespace, name).",
	}, []string{"kind", "namespace", "name"}))
	virtServicesGauge = metrics.Register(ctrlmetrics.Registry, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pilot_virt_services",
		Help: "Total virtual services known to pilot.",
	}))
)

// registryType is istiod's type label for the Kubernetes kinds its
// registry watches; Istio's own kinds go to pilot_k8s_cfg_events under
// their kind.
func registryType(obj client.Object) string {
	switch obj.(type) {
	case *corev1.Service:
		return "Services"
	case *corev1.Pod:
		return "Pods"
	case *corev1.Namespace:
		return "Namespaces"
	case *corev1.Secret:
		return "Secrets"
	case *discoveryv1.EndpointSlice:
		return "EndpointSlice"
	}
	return reflect.TypeOf(obj).Elem().Name()
}

// counted wraps a watch's handler so every event that reaches it (after
// the watch's predicates: a pod status heartbeat that changes nothing is
// not one) is counted by kind and verb.
func counted(obj client.Object, h handler.EventHandler) handler.EventHandler {
	vec, kind := regEvents, registryType(obj)
	if isIstio(obj) {
		vec = cfgEvents
	}
	return &countingHandler{next: h, add: vec.WithLabelValues(kind, "add"), update: vec.WithLabelValues(kind, "update"), del: vec.WithLabelValues(kind, "delete")}
}

type countingHandler struct {
	next             handler.EventHandler
	add, update, del prometheus.Counter
}

type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

func (c *countingHandler) Create(ctx context.Context, e event.CreateEvent, q queue) {
	c.add.Inc()
	c.next.Create(ctx, e, q)
}

func (c *countingHandler) Update(ctx context.Context, e event.UpdateEvent, q queue) {
	c.update.Inc()
	c.next.Update(ctx, e, q)
}

func (c *countingHandler) Delete(ctx context.Context, e event.DeleteEvent, q queue) {
	c.del.Inc()
	c.next.Delete(ctx, e, q)
}

func (c *countingHandler) Generic(ctx context.Context, e event.GenericEvent, q queue) {
	c.next.Generic(ctx, e, q)
}

// recordRejections sets sailplane_xds_rejected_objects to the counts of
// this reconcile; objects no longer rejected leave the series.
func recordRejections(counts map[model.ObjectRef]int) {
	rejectedObjects.Reset()
	for ref, n := range counts {
		rejectedObjects.WithLabelValues(ref.Kind, ref.Namespace, ref.Name).Set(float64(n))
	}
}

// recordRegistry sets pilot_services (every hostname the model serves:
// Kubernetes services and ServiceEntry hosts) and pilot_virt_services
// after a full rebuild.
func recordRegistry(b *bundle.Bundle, m *model.Model) {
	servicesGauge.Set(float64(len(m.Hostnames)))
	virtServicesGauge.Set(float64(len(b.VirtualServices)))
}
