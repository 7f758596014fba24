package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Injection is the sidecar injector's latency over pod creations through
// the API server.
type Injection struct {
	Pods     int
	Injected int
	// Webhook is the time inside the webhook handler (decode, decide,
	// patch, encode); Create is the client's whole pod creation round trip
	// through the API server, admission included.
	Webhook, Create Summary
	// FullReconciles ran meanwhile: pods are among the mesh's inputs.
	FullReconciles int
	CPU            CPUPhase
	Error          string
}

// injectionNamespace is labelled for injection, as users label theirs.
const injectionNamespace = "bench-inject"

// injectionAccount is the injected pods' ServiceAccount.
const injectionAccount = "inject"

// injectWorkers create pods in parallel, as a ReplicaSet controller
// scaling up does.
const injectWorkers = 4

// MeasureInjection creates n pods in an injection-enabled namespace.
func (r *Run) MeasureInjection(ctx context.Context, n int) Injection {
	res := Injection{Pods: n}
	c := r.cluster.Client
	ns := NamespaceObject(injectionNamespace)
	ns.Labels = map[string]string{"istio-injection": "enabled"}
	if err := c.Create(ctx, ns); err != nil {
		res.Error = err.Error()
		return res
	}
	// The pods run as a ServiceAccount of their own: the injected proxy
	// mounts a projected token of it, which the API server refuses for a
	// pod without one (envtest has no ServiceAccount admission plugin to
	// fill in "default").
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: injectionAccount, Namespace: injectionNamespace}}
	if err := c.Create(ctx, sa); err != nil {
		res.Error = err.Error()
		return res
	}
	// A new namespace is a mesh input: let its reconcile finish, so the
	// admissions timed are the pods', not a namespace event's neighbours.
	if err := r.quiesce(ctx); err != nil {
		res.Error = err.Error()
		return res
	}
	r.cp.TakeHooks()
	since := time.Now()
	cpu := r.cp.startPhaseCPU("inject", r.cfg.CPUProfile)
	var mu sync.Mutex
	var creates []time.Duration
	err := forEach(ctx, n, injectWorkers, func(ctx context.Context, i int) error {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("inject-%04d", i), Namespace: injectionNamespace, Labels: map[string]string{"app": "inject"}},
			Spec:       corev1.PodSpec{ServiceAccountName: injectionAccount, Containers: []corev1.Container{{Name: "app", Image: "app:bench"}}},
		}
		start := time.Now()
		if err := c.Create(ctx, pod); err != nil {
			return err
		}
		d := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		creates = append(creates, d)
		if hasProxy(pod) {
			res.Injected++
		}
		return nil
	})
	// The reconciles the pods caused are part of the phase: wait for them.
	qerr := r.quiesce(ctx)
	res.CPU = cpu.stop()
	if err == nil {
		err = qerr
	}
	for _, rc := range r.sink.reconcilesSince(since) {
		if rc.Full {
			res.FullReconciles++
		}
	}
	if err != nil {
		res.Error = err.Error()
	}
	res.Webhook, res.Create = summarize(r.cp.TakeHooks()), summarize(creates)
	return res
}

// hasProxy reports whether the created pod came back with istio-proxy.
func hasProxy(p *corev1.Pod) bool {
	for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for _, c := range cs {
			if c.Name == "istio-proxy" {
				return true
			}
		}
	}
	return false
}
