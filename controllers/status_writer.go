package controllers

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
)

// StatusWriter writes the Accepted condition of every Istio object. It runs
// only on the leader, and writes an object only when its condition or the
// generation it describes changed, so a steady mesh costs no API writes.
type StatusWriter struct {
	Client client.Client
	Log    logr.Logger

	mu      sync.Mutex
	desired []mesh.ObjectStatus
	poke    chan struct{}
	once    sync.Once
}

func (w *StatusWriter) init() { w.once.Do(func() { w.poke = make(chan struct{}, 1) }) }

// Update hands over the latest desired statuses; the writer picks up the
// newest when it gets to them.
func (w *StatusWriter) Update(st []mesh.ObjectStatus) {
	w.init()
	w.mu.Lock()
	w.desired = st
	w.mu.Unlock()
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// retryDelay is how long the writer waits before retrying failed writes.
const retryDelay = time.Second

func (w *StatusWriter) retry() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// NeedLeaderElection makes the manager run the writer on the leader only.
func (w *StatusWriter) NeedLeaderElection() bool { return true }

// Start writes statuses until ctx ends. It may run again after a lost
// lease; each run starts with the latest desired statuses.
func (w *StatusWriter) Start(ctx context.Context) error {
	w.init()
	w.retry()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.poke:
			w.mu.Lock()
			desired := w.desired
			w.mu.Unlock()
			failed := false
			for _, st := range desired {
				if err := w.write(ctx, st); err != nil && !apierrors.IsNotFound(err) {
					failed = true
					w.Log.V(1).Info("status not written; retrying", "object", st.Object.String(), "error", err.Error())
				}
			}
			if failed {
				// A conflict with a concurrent update, or the API server
				// briefly away: try the latest statuses again shortly rather
				// than waiting for the next mesh change.
				time.AfterFunc(retryDelay, w.retry)
			}
		}
	}
}

func (w *StatusWriter) write(ctx context.Context, st mesh.ObjectStatus) error {
	obj, status := newObject(st.Object)
	if obj == nil {
		return nil
	}
	if err := w.Client.Get(ctx, st.Object.NamespacedName, obj); err != nil {
		return err
	}
	cond := metav1.Condition{
		Type: mesh.ConditionAccepted, Status: metav1.ConditionFalse, Reason: st.Reason,
		Message: st.Message, ObservedGeneration: obj.GetGeneration(),
	}
	if st.Accepted {
		cond.Status = metav1.ConditionTrue
	}
	if current := meta.FindStatusCondition(status.Conditions, cond.Type); current != nil &&
		current.Status == cond.Status && current.Reason == cond.Reason && current.Message == cond.Message &&
		current.ObservedGeneration == cond.ObservedGeneration && status.ObservedGeneration == obj.GetGeneration() {
		return nil
	}
	meta.SetStatusCondition(&status.Conditions, cond)
	status.ObservedGeneration = obj.GetGeneration()
	return w.Client.Status().Update(ctx, obj)
}

// newObject returns an empty object of the ref's kind and its status.
func newObject(ref model.ObjectRef) (client.Object, *networkingv1.Status) {
	switch ref.Kind {
	case "VirtualService":
		o := &networkingv1.VirtualService{}
		return o, &o.Status
	case "DestinationRule":
		o := &networkingv1.DestinationRule{}
		return o, &o.Status
	case "Gateway":
		o := &networkingv1.Gateway{}
		return o, &o.Status
	case "ServiceEntry":
		o := &networkingv1.ServiceEntry{}
		return o, &o.Status
	case "Sidecar":
		o := &networkingv1.Sidecar{}
		return o, &o.Status
	case "PeerAuthentication":
		o := &securityv1.PeerAuthentication{}
		return o, &o.Status
	case "RequestAuthentication":
		o := &securityv1.RequestAuthentication{}
		return o, &o.Status
	case "AuthorizationPolicy":
		o := &securityv1.AuthorizationPolicy{}
		return o, &o.Status
	case "Telemetry":
		o := &telemetryv1.Telemetry{}
		return o, &o.Status
	case "RateLimitPolicy":
		o := &policyv1alpha1.RateLimitPolicy{}
		return o, &o.Status
	}
	return nil, nil
}
