package controllers

import (
	"context"
	"errors"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/defaults"
)

// caLoadErrors counts reloads that found invalid CA material (the last
// good CA stays in use) or could not read it.
var caLoadErrors = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "sailplane_ca_load_errors_total",
	Help: "Loads of the mesh CA from its Secrets that failed; the last good CA stays in use.",
})

func init() { ctrlmetrics.Registry.MustRegister(caLoadErrors) }

// caKey is the single reconcile key: both Secrets feed one CA.
var caKey = reconcile.Request{NamespacedName: client.ObjectKey{Name: "mesh-ca"}}

// CAReconciler keeps Holder current with the CA Secrets of the control
// plane's namespace (ca.Load), so plugging in cacerts or adding a root to
// root-cert.pem takes effect without a restart. It runs on every replica:
// every replica signs.
type CAReconciler struct {
	// Reader reads the Secrets uncached (the manager's GetAPIReader), as
	// ca.Load requires; Writer creates istio-ca-secret.
	Reader      client.Reader
	Writer      client.Writer
	Holder      *ca.Holder
	Namespace   string
	TrustDomain string
	// Events, when set, records a Warning on the Secret that failed.
	Events recorder.EventRecorder
	Log    logr.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// SetupWithManager watches the two Secrets and loads once at start, when
// neither may exist yet.
func (r *CAReconciler) SetupWithManager(mgr ctrl.Manager) error {
	start := make(chan event.GenericEvent, 1)
	start <- event.GenericEvent{Object: &metav1.PartialObjectMetadata{}}
	toCA := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{caKey}
	})
	return ctrl.NewControllerManagedBy(mgr).Named("ca").
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false), MaxConcurrentReconciles: 1, SkipNameValidation: ptr.To(true)}).
		Watches(&corev1.Secret{}, toCA, builder.WithPredicates(r.isCASecret())).
		WatchesRawSource(source.Channel(start, toCA)).
		Complete(r)
}

// isCASecret lets through events of cacerts and istio-ca-secret in the
// control plane's namespace only.
func (r *CAReconciler) isCASecret() predicate.Predicate {
	return predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetNamespace() == r.Namespace &&
			(o.GetName() == defaults.PluggedCASecret || o.GetName() == defaults.SelfSignedCASecret)
	})
}

// Reconcile loads the CA and makes it current. Invalid material keeps the
// last good CA: workloads keep getting certificates their peers trust
// while an operator fixes the Secret, whose next change reconciles again.
func (r *CAReconciler) Reconcile(ctx context.Context, _ reconcile.Request) (ctrl.Result, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	c, src, err := ca.Load(ctx, r.Reader, r.Writer, r.Namespace, r.TrustDomain, now())
	if err != nil {
		caLoadErrors.Inc()
		r.Log.Error(err, "loading the mesh CA failed; the last good CA stays in use", "secret", src, "haveCA", r.Holder.Current() != nil)
		var bad *ca.SecretError
		if errors.As(err, &bad) {
			r.warn(bad)
			return ctrl.Result{}, nil // retried when the Secret changes
		}
		return ctrl.Result{}, err // API trouble: retry with backoff
	}
	if !c.Equal(r.Holder.Current()) {
		cert := c.SigningCert()
		r.Log.Info("mesh CA loaded", "source", r.Namespace+"/"+src, "signer", cert.Subject.String(),
			"signerNotAfter", cert.NotAfter.UTC().Format(time.RFC3339), "roots", len(c.RootCerts()))
	}
	r.Holder.Set(c)
	// Look again when the CA's certificates expire: the load then fails
	// loudly (log, event, metric) instead of signing stopping silently.
	return ctrl.Result{RequeueAfter: c.NotAfter().Sub(now()) + time.Second}, nil
}

// warn records a Warning Event on the Secret that holds bad material.
func (r *CAReconciler) warn(bad *ca.SecretError) {
	if r.Events == nil {
		return
	}
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: bad.Namespace, Name: bad.Secret},
	}
	r.Events.Eventf(secret, nil, corev1.EventTypeWarning, "InvalidCA", "LoadCA", "%s", bad.Error())
}
