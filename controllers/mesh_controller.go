// Package controllers is the controller-runtime glue: it watches every
// object the mesh depends on, runs one reconcile for the whole mesh
// (internal/mesh), publishes the result to the ADS server, and hands the
// objects' status to the leader-only status writer.
package controllers

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
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
	"github.com/sailplane/sailplane/internal/push"
	"github.com/sailplane/sailplane/internal/telemetry"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

// meshKey is the single reconcile key: translation depends on the whole
// graph, and one key lets the workqueue merge bursts of events.
var meshKey = reconcile.Request{NamespacedName: client.ObjectKey{Name: "mesh"}}

// MeshReconciler turns what changed into every proxy's configuration:
// event handlers merge their changes into one pending change, and each
// reconcile takes it, picks the mesh computation it needs (compute, or
// mesh.Join for proxies that connected) and hands the result to the
// server's publisher.
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
	// reconcile and of every join (the console shows them and previews
	// changes against them); it must not modify them.
	OnReconcile func(*bundle.Bundle, []mesh.Node, *mesh.Result)

	pokes     chan event.GenericEvent
	pending   push.Pending
	publisher *xdsserver.Publisher

	// The last reconcile's inputs and result (only Reconcile touches
	// them): the fast paths and joins start from it.
	last       *mesh.Result
	lastBundle *bundle.Bundle
	lastNodes  []mesh.Node

	// nacks keeps rejections from being logged again at every rebuild.
	nacks mesh.RejectionLog
}

// SetupWithManager registers the watches. The controller runs on every
// replica (each serves xDS); only the status writer needs the lease.
func (r *MeshReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.pokes = make(chan event.GenericEvent, 1)
	r.pending.Add(push.FullChange(push.Start)) // the first reconcile builds everything
	toMesh := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		r.pending.Add(changeOf(o))
		return []reconcile.Request{meshKey}
	})
	// A poke has added its change already.
	poked := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
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
	b = b.WatchesRawSource(source.Channel(r.pokes, poked))
	if r.MeshConfig != nil {
		b = b.WatchesRawSource(r.MeshConfig.source(toMesh))
	}
	r.publisher = xdsserver.NewPublisher(r.Server, r.Secrets, r.Log)
	r.Server.SetPodLookup(r.podIdentity)
	r.Server.OnNewProxy(func(node string) { r.request(push.Joined(node)) })
	r.Server.OnSubscribe(r.publisher.Republish)
	// A rejection is reported in status, which a full reconcile writes.
	r.Server.OnNack(func(string, string, string, string) { r.request(push.FullChange(push.Nack)) })
	return b.Complete(r)
}

// Poke asks for a full reconcile without blocking (a certificate is due for
// renewal, the CA changed); one pending poke is enough.
func (r *MeshReconciler) Poke() { r.request(push.FullChange(push.Poke)) }

// podIdentity reads a pod's service account and UID from the informers'
// cache, for the xDS server's check of a verified caller's node id.
func (r *MeshReconciler) podIdentity(namespace, name string) (string, string, bool) {
	var pod corev1.Pod
	// Read in place: every xDS request of every proxy asks, and a deep copy
	// of the pod per request was about 5% of the control plane's CPU while
	// 2000 proxies ACKed an endpoint change. Only two strings are read.
	if err := r.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &pod, client.UnsafeDisableDeepCopy); err != nil {
		return "", "", false
	}
	return model.ServiceAccountOf(&pod), string(pod.UID), true
}

// request adds c to the pending change and asks for a reconcile without
// blocking: one queued request takes every change added before it runs.
func (r *MeshReconciler) request(c push.Change) {
	r.pending.Add(c)
	select {
	case r.pokes <- event.GenericEvent{Object: &metav1.PartialObjectMetadata{}}:
	default:
	}
}

// Reconcile takes the pending change and publishes what it needs: proxies
// that only connected are joined to the last reconcile's model; anything
// else reads the cache and computes.
func (r *MeshReconciler) Reconcile(ctx context.Context, _ reconcile.Request) (ctrl.Result, error) {
	ch := r.pending.Take()
	if ch.Empty() {
		return ctrl.Result{}, nil // a request whose change an earlier reconcile took
	}
	start := time.Now()
	err := r.reconcile(ctx, ch, start)
	if err != nil {
		// What was taken is not published: the retry recomputes it all.
		r.pending.Add(ch.Merge(push.FullChange(push.Retry)))
	}
	return ctrl.Result{}, err
}

func (r *MeshReconciler) reconcile(ctx context.Context, ch push.Change, start time.Time) error {
	if ch.JoinOnly() {
		if joined, err := r.join(ch, start); joined || err != nil {
			return err
		}
		// Nothing to join to (no reconcile yet, or the last took a fast
		// path): the proxies are configured by a full reconcile.
		ch = ch.Merge(push.FullChange(push.Unsettled))
	}
	return r.rebuild(ctx, ch, start)
}

// join configures the proxies that connected from the last reconcile's
// model and translations. It reports false when the last result cannot
// be joined to. A joined node whose pod the model does not know, or a
// translation that found problems the status lacks, asks for a full
// reconcile, which reads the cache and writes status.
func (r *MeshReconciler) join(ch push.Change, start time.Time) (bool, error) {
	nodes, _ := nodesOf(r.Server.Tracker().Nodes(ch.Proxies))
	res, ok := mesh.Join(r.last, nodes)
	if !ok {
		return false, nil
	}
	if err := r.publisher.Publish(ch, res.Resources, start); err != nil {
		return true, err
	}
	r.last, r.lastNodes = res, withNodes(r.lastNodes, nodes)
	waiting := 0
	for _, n := range nodes {
		if _, ok := res.Resources[n.ID]; !ok {
			waiting++
		}
	}
	if waiting > 0 || res.NewProblems > 0 {
		r.request(push.FullChange(push.Unsettled))
	}
	if r.OnReconcile != nil {
		r.OnReconcile(r.lastBundle, r.lastNodes, res)
	}
	r.Log.V(1).Info("proxies joined", "proxies", len(nodes), "waiting", waiting, "newProblems", res.NewProblems, "groups", res.Groups, "took", time.Since(start).String())
	return true, nil
}

// rebuild reads the cache, runs the computation the change needs for
// every connected proxy and publishes it.
func (r *MeshReconciler) rebuild(ctx context.Context, ch push.Change, start time.Time) error {
	b, err := Collect(ctx, r.Client)
	if err != nil {
		return err
	}
	if b.Mesh, err = r.MeshConfig.Read(ctx); err != nil {
		return err
	}
	nodes, rejections := nodesOf(r.Server.Tracker().Nodes(nil))
	res, how := compute(ch, b, nodes, r.last)
	if how != computedEndpoints {
		r.report(b, res, rejections)
	}
	if err := r.publisher.Publish(ch, res.Resources, start); err != nil {
		return err
	}
	r.last, r.lastBundle, r.lastNodes = res, b, nodes
	if how == computedEndpoints {
		r.Log.V(1).Info("endpoints reconciled", "proxies", len(nodes), "groups", res.Groups, "took", time.Since(start).String())
		return nil
	}
	if r.Status != nil {
		r.Status.Update(mesh.Statuses(res.Model.Status))
	}
	if r.OnReconcile != nil {
		r.OnReconcile(b, nodes, res)
	}
	msg := map[computation]string{computedFull: "mesh reconciled", computedRules: "rules reconciled", computedPods: "pods reconciled"}[how]
	r.Log.V(1).Info(msg, "proxies", len(nodes), "groups", res.Groups, "waiting", len(res.Waiting), "reasons", ch.Reasons, "took", time.Since(start).String())
	return nil
}

// report adds the proxies' rejections to a full reconcile's status, logs
// the new ones and records the metrics a full reconcile sets.
func (r *MeshReconciler) report(b *bundle.Bundle, res *mesh.Result, rejections []mesh.Rejection) {
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
}
