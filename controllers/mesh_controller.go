// Package controllers is the controller-runtime glue: it watches every
// object the mesh depends on, runs one reconcile for the whole mesh
// (internal/mesh), publishes the result to the ADS server, and hands the
// objects' status to the leader-only status writer.
package controllers

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
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

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/parallel"
	"github.com/sailplane/sailplane/internal/telemetry"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// meshKey is the single reconcile key: translation depends on the whole
// graph, and one key lets the workqueue merge bursts of events.
var meshKey = reconcile.Request{NamespacedName: client.ObjectKey{Name: "mesh"}}

// MeshReconciler rebuilds and publishes every proxy's configuration.
type MeshReconciler struct {
	Client client.Reader
	Server *xdsserver.Server
	Status *StatusWriter
	Log    logr.Logger
	// Secrets decides each node's secrets from what it proved (nil: no
	// workload certificates, e.g. the authenticated port is off).
	Secrets *xdsserver.SecretsView
	// MeshConfig reads ConfigMap istio (nil: Istio's defaults throughout).
	MeshConfig *MeshConfigReader
	// Requests, when set, reads load reports against the latest model.
	Requests *telemetry.Requests
	// OnReconcile, when set, is given the inputs and result of every full
	// reconcile (the console shows them and previews changes against
	// them); it must not modify them.
	OnReconcile func(*bundle.Bundle, []mesh.Node, *mesh.Result)

	pokes chan event.GenericEvent

	// fullRebuild is set by every event except EndpointSlice changes; when
	// it is clear, a reconcile recomputes endpoints only.
	fullRebuild atomic.Bool

	// last holds each node's unfiltered resources from the latest
	// reconcile, so a proxyless client that asks for more names is answered
	// without rebuilding the mesh.
	mu      sync.Mutex
	last    map[string]*xds.Resources
	builder *xdsserver.Builder
	// lastModel is the model last was computed from: the endpoint-only
	// path recomputes just the services that changed since.
	lastModel *model.Model

	// nacks keeps rejections from being logged again at every rebuild.
	nacks mesh.RejectionLog
}

// SetupWithManager registers the watches. The controller runs on every
// replica (each serves xDS); only the status writer needs the lease.
func (r *MeshReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.pokes = make(chan event.GenericEvent, 1)
	r.fullRebuild.Store(true) // the first reconcile builds everything
	toMesh := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		if _, endpoints := o.(*discoveryv1.EndpointSlice); !endpoints {
			r.fullRebuild.Store(true)
		}
		return []reconcile.Request{meshKey}
	})
	b := ctrl.NewControllerManagedBy(mgr).Named("mesh").
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false), MaxConcurrentReconciles: 1, SkipNameValidation: ptr.To(true)})
	for _, obj := range watched() {
		if isIstio(obj) {
			// Status writes do not change the generation: without this the
			// status writer's own updates would rebuild the whole mesh.
			b = b.Watches(obj, counted(obj, toMesh), builder.WithPredicates(predicate.GenerationChangedPredicate{}))
			continue
		}
		if _, pod := obj.(*corev1.Pod); pod {
			b = b.Watches(obj, counted(obj, toMesh), builder.WithPredicates(podMatters(r.Server.Tracker().HasPod)))
			continue
		}
		b = b.Watches(obj, counted(obj, toMesh))
	}
	// Node labels place endpoints in localities; heartbeats must not
	// rebuild the mesh, so only label changes (and Nodes coming and going)
	// pass.
	b = b.WatchesMetadata(nodeMetadata(), toMesh, builder.WithPredicates(predicate.LabelChangedPredicate{}))
	b = b.WatchesRawSource(source.Channel(r.pokes, toMesh))
	if r.MeshConfig != nil {
		b = b.WatchesRawSource(r.MeshConfig.source(toMesh))
	}
	if r.Secrets == nil {
		r.Secrets = xdsserver.NewSecretsView(nil)
	}
	r.Server.SetPodLookup(r.podIdentity)
	r.Server.OnNewProxy(func(string) { r.poke() })
	r.Server.OnSubscribe(r.republish)
	r.Server.OnNack(func(string, string, string, string) { r.poke() })
	return b.Complete(r)
}

// Poke asks for a full reconcile without blocking (a certificate is due for
// renewal, the CA changed); one pending poke is enough.
func (r *MeshReconciler) Poke() { r.poke() }

// podIdentity reads a pod's service account and UID from the informers'
// cache, for the xDS server's check of a verified caller's node id.
func (r *MeshReconciler) podIdentity(namespace, name string) (string, string, bool) {
	var pod corev1.Pod
	if err := r.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &pod); err != nil {
		return "", "", false
	}
	return model.ServiceAccountOf(&pod), string(pod.UID), true
}

// poke asks for a reconcile without blocking; one pending poke is enough.
func (r *MeshReconciler) poke() {
	r.fullRebuild.Store(true)
	select {
	case r.pokes <- event.GenericEvent{Object: &metav1.PartialObjectMetadata{}}:
	default:
	}
}

// Reconcile rebuilds the mesh from the cache and publishes it.
func (r *MeshReconciler) Reconcile(ctx context.Context, _ reconcile.Request) (ctrl.Result, error) {
	start := time.Now()
	b, err := Collect(ctx, r.Client)
	if err != nil {
		return ctrl.Result{}, err
	}
	if b.Mesh, err = r.MeshConfig.Read(ctx); err != nil {
		return ctrl.Result{}, err
	}
	proxies := r.Server.Tracker().Snapshot()
	nodes := make([]mesh.Node, 0, len(proxies))
	var rejections []mesh.Rejection
	for _, p := range proxies {
		nodes = append(nodes, mesh.Node{ID: p.NodeID, Metadata: p.Metadata, Identity: p.VerifiedIdentity(), Locality: nodeLocality(p.Locality)})
		for typeURL, n := range p.Nacks {
			rejections = append(rejections, mesh.Rejection{NodeID: p.NodeID, TypeURL: typeURL, Version: n.Version, Error: n.Error})
		}
	}
	full := r.fullRebuild.Swap(false)
	if !full {
		r.mu.Lock()
		res, ok := mesh.ComputeEndpointsSince(b, nodes, r.last, r.lastModel)
		r.mu.Unlock()
		if ok {
			err := r.publish(res, start)
			r.Log.V(1).Info("endpoints reconciled", "proxies", len(nodes), "groups", res.Groups, "took", time.Since(start).String())
			return ctrl.Result{}, err
		}
	}
	res := mesh.Compute(b, nodes)
	unmatched := map[mesh.Rejection]bool{}
	for _, rj := range mesh.AddRejections(res.Model, rejections) {
		unmatched[rj] = true
	}
	for _, rj := range r.nacks.Fresh(rejections) {
		r.Log.Info("proxy rejected configuration", "node", rj.NodeID, "type", rj.TypeURL, "version", rj.Version, "error", rj.Error, "inStatus", !unmatched[rj])
	}
	recordRegistry(b, res.Model)
	recordRejections(mesh.RejectedObjects(res.Model, rejections))
	if r.Requests != nil {
		r.Requests.SetDirectory(telemetry.NewDirectory(res.Model))
	}
	if err := r.publish(res, start); err != nil {
		r.fullRebuild.Store(true)
		return ctrl.Result{}, err
	}
	if r.Status != nil {
		r.Status.Update(mesh.Statuses(res.Model.Status))
	}
	if r.OnReconcile != nil {
		r.OnReconcile(b, nodes, res)
	}
	r.Log.V(1).Info("mesh reconciled", "proxies", len(nodes), "groups", res.Groups, "waiting", len(res.Waiting), "took", time.Since(start).String())
	return ctrl.Result{}, nil
}

// publish converts each group's resources to a snapshot once and gives it
// to every node of the group; proxyless gRPC nodes get theirs filtered to
// what they asked for. The builder lives across publishes, so protos a
// publish reuses (an endpoint-only change keeps listeners, routes and
// clusters) are not marshalled again. changed is when the reconcile that
// computed res started, for pilot_proxy_convergence_time.
func (r *MeshReconciler) publish(res *mesh.Result, changed time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last, r.lastModel = res.Resources, res.Model
	r.snapshots().Next()
	r.Secrets.Reset()
	shared := map[*xds.Resources]*xdsserver.Snapshot{}
	nodes := make([]string, 0, len(res.Resources))
	snaps := make([]*xdsserver.Snapshot, 0, len(res.Resources))
	keep := make(map[string]bool, len(res.Resources))
	for node, rs := range res.Resources {
		// A node gone since the reconcile began has no identity to look up:
		// building it the variant for "proved none" (a copy of the group
		// without secrets) would cost memory and leave that variant in the
		// cache for its return.
		if !r.Server.Tracker().Connected(node) {
			continue
		}
		snap, err := r.snapshotFor(node, rs, shared)
		if err != nil {
			return err
		}
		nodes, snaps = append(nodes, node), append(snaps, snap)
		keep[node] = true
	}
	published := time.Now()
	for _, snap := range snaps {
		snap.Stamp(changed, published)
	}
	// Handing a node its snapshot answers its open watches (comparing what
	// it holds with what changed): independent work per node, on every core.
	parallel.Each(len(nodes), func(i int) { r.Server.SetSnapshot(nodes[i], snaps[i]) })
	r.Server.Retain(keep)
	r.Secrets.Published()
	if err := r.Secrets.Failed(); err != nil {
		r.Log.Error(err, "workload certificates could not be issued; those proxies are served without them")
	}
	return nil
}

// snapshotFor converts a node's resources: once per group and identity
// for Envoy proxies (shared records the snapshot), filtered to what it
// asked for for a proxyless gRPC node. The secrets come from what the node
// proved, not from its group (see SecretsView).
func (r *MeshReconciler) snapshotFor(node string, rs *xds.Resources, shared map[*xds.Resources]*xdsserver.Snapshot) (*xdsserver.Snapshot, error) {
	who := r.Server.Tracker().Identity(node)
	if r.filtered(node) {
		// A proxyless gRPC node reads its key pair from files (its
		// bootstrap's certificate providers) and never asks for SDS: no
		// key is made for it.
		who = nil
	}
	rs = r.Secrets.For(rs, who)
	if r.filtered(node) {
		return r.snapshots().Snapshot(xdsserver.FilterSubscribed(rs, r.Server.Tracker().Subscriptions(node)))
	}
	if snap, ok := shared[rs]; ok {
		return snap, nil
	}
	snap, err := r.snapshots().Snapshot(rs)
	if err != nil {
		return nil, err
	}
	shared[rs] = snap
	return snap, nil
}

// snapshots is the builder every publish shares (callers hold r.mu).
func (r *MeshReconciler) snapshots() *xdsserver.Builder {
	if r.builder == nil {
		r.builder = xdsserver.NewBuilder()
	}
	return r.builder
}

// filtered reports whether the node asks for resources by name for every
// type (proxyless gRPC) rather than by wildcard (Envoy).
func (r *MeshReconciler) filtered(node string) bool {
	return r.Server.Tracker().Generator(node) == mesh.GeneratorGRPC
}

// republish answers a proxyless client's new subscription from the last
// reconcile; a node the last reconcile did not cover waits for the next.
//
// It is called from the streams' request callbacks, for every proxy that
// changes what it asks for (Envoy does, on every cluster change), so it
// decides before taking the lock: a publish holds the lock throughout, and
// a stream waiting for it sends nothing meanwhile.
func (r *MeshReconciler) republish(node string) {
	if !r.filtered(node) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rs, ok := r.last[node]
	if !ok {
		return
	}
	snap, err := r.snapshotFor(node, rs, nil)
	if err != nil {
		r.Log.Error(err, "publishing a proxyless client's subscription", "node", node)
		return
	}
	r.Server.SetSnapshot(node, snap)
}

// nodeLocality is the locality a proxy announced, in the model's form.
func nodeLocality(l *corev3.Locality) model.Locality {
	return model.FormatLocality(l.GetRegion(), l.GetZone(), l.GetSubZone())
}
