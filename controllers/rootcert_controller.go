package controllers

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/defaults"
)

// RootCertReconciler publishes the trust bundle as the ConfigMap
// istio-ca-root-cert in every namespace, as istiod does: proxies mount it
// to verify the control plane and their peers. It creates it in new
// namespaces, restores it when deleted or edited, and rewrites it when the
// CA changes. It writes on the leader only (the default).
type RootCertReconciler struct {
	// Client reads from the manager's cache and writes.
	Client client.Client
	Holder *ca.Holder
	Log    logr.Logger

	pokes chan event.GenericEvent
}

// SetupWithManager watches namespaces, the ConfigMaps of that name, and
// the Holder: a CA change reconciles every namespace.
func (r *RootCertReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.pokes = make(chan event.GenericEvent, 1)
	r.Holder.OnChange(r.poke)
	isRootCert := predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetName() == defaults.RootCertConfigMap
	})
	toNamespace := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: o.GetNamespace()}}}
	})
	return ctrl.NewControllerManagedBy(mgr).Named("rootcert").
		// Tests run several managers in one process.
		WithOptions(controller.Options{SkipNameValidation: ptr.To(true)}).
		For(&corev1.Namespace{}).
		Watches(&corev1.ConfigMap{}, toNamespace, builder.WithPredicates(isRootCert)).
		WatchesRawSource(source.Channel(r.pokes, handler.EnqueueRequestsFromMapFunc(r.allNamespaces))).
		Complete(r)
}

// poke asks for every namespace to be reconciled; one pending poke is
// enough, since each reconcile reads the CA current then.
func (r *RootCertReconciler) poke() {
	select {
	case r.pokes <- event.GenericEvent{Object: &metav1.PartialObjectMetadata{}}:
	default:
	}
}

func (r *RootCertReconciler) allNamespaces(ctx context.Context, _ client.Object) []reconcile.Request {
	var list corev1.NamespaceList
	if err := r.Client.List(ctx, &list); err != nil {
		r.Log.Error(err, "listing namespaces to republish the root certificate")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, ns := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKey{Name: ns.Name}})
	}
	return reqs
}

// Reconcile makes one namespace's ConfigMap hold the current bundle.
func (r *RootCertReconciler) Reconcile(ctx context.Context, req reconcile.Request) (ctrl.Result, error) {
	current := r.Holder.Current()
	if current == nil {
		return ctrl.Result{}, nil // the first load pokes every namespace
	}
	var ns corev1.Namespace
	if err := r.Client.Get(ctx, req.NamespacedName, &ns); err != nil || !ca.PublishesRootCertIn(&ns) {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	bundle := current.TrustBundlePEM()
	var cm corev1.ConfigMap
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: defaults.RootCertConfigMap}, &cm)
	if apierrors.IsNotFound(err) {
		return ctrl.Result{}, r.create(ctx, ca.RootCertConfigMap(ns.Name, bundle))
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if !ca.SyncRootCertConfigMap(&cm, bundle) {
		return ctrl.Result{}, nil
	}
	if err := r.Client.Update(ctx, &cm); err != nil {
		return ctrl.Result{}, fmt.Errorf("updating ConfigMap %s/%s: %w", ns.Name, defaults.RootCertConfigMap, err)
	}
	r.Log.V(1).Info("root certificate republished", "namespace", ns.Name)
	return ctrl.Result{}, nil
}

// create writes a missing ConfigMap. A namespace that began terminating
// since the cache saw it refuses the create; that is not an error.
func (r *RootCertReconciler) create(ctx context.Context, cm *corev1.ConfigMap) error {
	err := r.Client.Create(ctx, cm)
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return nil
	}
	if err != nil {
		// AlreadyExists means the cache lags a create: the retry reads it.
		return fmt.Errorf("creating ConfigMap %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return nil
}
