package controllers

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
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
			if !w.writeAll(ctx, desired) {
				// A conflict with a concurrent update, or the API server
				// briefly away: try the latest statuses again shortly rather
				// than waiting for the next mesh change.
				time.AfterFunc(retryDelay, w.retry)
			}
		}
	}
}

// writeAll writes every status that differs from its object's; false
// when something could not be read or written.
func (w *StatusWriter) writeAll(ctx context.Context, desired []mesh.ObjectStatus) bool {
	current, err := w.current(ctx, desired)
	if err != nil {
		w.Log.V(1).Info("statuses not read; retrying", "error", err.Error())
		return false
	}
	ok := true
	for _, st := range desired {
		if err := w.write(ctx, st, current[st.Object]); err != nil && !apierrors.IsNotFound(err) {
			ok = false
			w.Log.V(1).Info("status not written; retrying", "object", st.Object.String(), "error", err.Error())
		}
	}
	return ok
}

// current lists, from the cache and without copying them, the objects of
// the kinds desired names: a pass compares every object's condition and
// copies only those it writes. Getting each object deep-copied it, every
// VirtualService's routes and every Sidecar's hosts on every reconcile.
func (w *StatusWriter) current(ctx context.Context, desired []mesh.ObjectStatus) (map[model.ObjectRef]client.Object, error) {
	kinds := map[string]bool{}
	for _, st := range desired {
		kinds[st.Object.Kind] = true
	}
	out := map[model.ObjectRef]client.Object{}
	for kind := range kinds {
		k, ok := statusKinds[kind]
		if !ok {
			continue
		}
		l := k.list()
		if err := w.Client.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
		if err := meta.EachListItem(l, func(o runtime.Object) error {
			co := o.(client.Object)
			out[model.ObjectRef{Kind: kind, NamespacedName: types.NamespacedName{Namespace: co.GetNamespace(), Name: co.GetName()}}] = co
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// write brings obj's Accepted condition to st; obj is the cache's and is
// copied before it is changed. A nil obj (gone, or a kind without a
// status) is left alone.
func (w *StatusWriter) write(ctx context.Context, st mesh.ObjectStatus, obj client.Object) error {
	if obj == nil {
		return nil
	}
	k := statusKinds[st.Object.Kind]
	cond := metav1.Condition{
		Type: mesh.ConditionAccepted, Status: metav1.ConditionFalse, Reason: st.Reason,
		Message: st.Message, ObservedGeneration: obj.GetGeneration(),
	}
	if st.Accepted {
		cond.Status = metav1.ConditionTrue
	}
	status := k.status(obj)
	if current := meta.FindStatusCondition(status.Conditions, cond.Type); current != nil &&
		current.Status == cond.Status && current.Reason == cond.Reason && current.Message == cond.Message &&
		current.ObservedGeneration == cond.ObservedGeneration && status.ObservedGeneration == obj.GetGeneration() {
		return nil
	}
	obj = obj.DeepCopyObject().(client.Object)
	status = k.status(obj)
	meta.SetStatusCondition(&status.Conditions, cond)
	status.ObservedGeneration = obj.GetGeneration()
	return w.Client.Status().Update(ctx, obj)
}

// statusKind is how the writer lists one kind and reaches an object's
// status.
type statusKind struct {
	list   func() client.ObjectList
	status func(client.Object) *networkingv1.Status
}

func statusKindOf[T client.Object](list func() client.ObjectList, status func(T) *networkingv1.Status) statusKind {
	return statusKind{list: list, status: func(o client.Object) *networkingv1.Status { return status(o.(T)) }}
}

// statusKinds are the kinds whose status the writer keeps.
var statusKinds = map[string]statusKind{
	"VirtualService":        statusKindOf(func() client.ObjectList { return &networkingv1.VirtualServiceList{} }, func(o *networkingv1.VirtualService) *networkingv1.Status { return &o.Status }),
	"DestinationRule":       statusKindOf(func() client.ObjectList { return &networkingv1.DestinationRuleList{} }, func(o *networkingv1.DestinationRule) *networkingv1.Status { return &o.Status }),
	"Gateway":               statusKindOf(func() client.ObjectList { return &networkingv1.GatewayList{} }, func(o *networkingv1.Gateway) *networkingv1.Status { return &o.Status }),
	"ServiceEntry":          statusKindOf(func() client.ObjectList { return &networkingv1.ServiceEntryList{} }, func(o *networkingv1.ServiceEntry) *networkingv1.Status { return &o.Status }),
	"Sidecar":               statusKindOf(func() client.ObjectList { return &networkingv1.SidecarList{} }, func(o *networkingv1.Sidecar) *networkingv1.Status { return &o.Status }),
	"PeerAuthentication":    statusKindOf(func() client.ObjectList { return &securityv1.PeerAuthenticationList{} }, func(o *securityv1.PeerAuthentication) *networkingv1.Status { return &o.Status }),
	"RequestAuthentication": statusKindOf(func() client.ObjectList { return &securityv1.RequestAuthenticationList{} }, func(o *securityv1.RequestAuthentication) *networkingv1.Status { return &o.Status }),
	"AuthorizationPolicy":   statusKindOf(func() client.ObjectList { return &securityv1.AuthorizationPolicyList{} }, func(o *securityv1.AuthorizationPolicy) *networkingv1.Status { return &o.Status }),
	"Telemetry":             statusKindOf(func() client.ObjectList { return &telemetryv1.TelemetryList{} }, func(o *telemetryv1.Telemetry) *networkingv1.Status { return &o.Status }),
	"RateLimitPolicy":       statusKindOf(func() client.ObjectList { return &policyv1alpha1.RateLimitPolicyList{} }, func(o *policyv1alpha1.RateLimitPolicy) *networkingv1.Status { return &o.Status }),
}
