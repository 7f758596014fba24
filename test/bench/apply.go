package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// writeWorkers bounds the harness's concurrent API requests: enough to
// keep the API server busy, few enough not to trip its in-flight limits.
const writeWorkers = 32

// forEach runs f for 0..n-1 on a bounded pool and returns the first error.
// The work carries the harness profiler label.
func forEach(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	pprof.Do(ctx, pprof.Labels(roleLabel, roleHarness), func(ctx context.Context) {
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= n || ctx.Err() != nil || errs[w] != nil {
						return
					}
					errs[w] = f(ctx, i)
				}
			}()
		}
		wg.Wait()
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return context.Cause(ctx)
}

// Setup is how the mesh was created.
type Setup struct {
	Objects int
	Took    time.Duration
	// ServiceAccounts created, one per service.
	ServiceAccounts int
	// Tokens: the proxies' bound tokens, requested once the pods exist.
	Tokens Tokens
}

// CreateMesh creates the namespaces, then every service with its
// ServiceAccount (envtest's API server runs without the ServiceAccount
// admission plugin, which would otherwise insist on it), its rules,
// pods (IPs set through the status subresource, as kubelet does) and
// EndpointSlice.
func CreateMesh(ctx context.Context, c client.Client, m *Mesh) (Setup, error) {
	start := time.Now()
	var objects atomic.Int64
	create := func(ctx context.Context, o client.Object) error {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s/%s: %w", o, o.GetNamespace(), o.GetName(), err)
		}
		objects.Add(1)
		return nil
	}
	err := forEach(ctx, len(m.Namespaces), writeWorkers, func(ctx context.Context, i int) error {
		return create(ctx, NamespaceObject(m.Namespaces[i]))
	})
	if err != nil {
		return Setup{}, err
	}
	err = forEach(ctx, len(m.Services), writeWorkers, func(ctx context.Context, i int) error {
		s := m.Services[i]
		objs := []client.Object{s.ServiceAccount(), s.Object()}
		if s.Subsets {
			objs = append(objs, s.DestinationRule(), s.VirtualService(InitialRoute(s)))
		}
		if sc := s.Sidecar(); sc != nil {
			objs = append(objs, sc)
		}
		for _, o := range objs {
			if err := create(ctx, o); err != nil {
				return err
			}
		}
		for _, p := range s.Pods {
			if err := createPod(ctx, c, p); err != nil {
				return err
			}
			objects.Add(1)
		}
		return create(ctx, s.Slice())
	})
	return Setup{Objects: int(objects.Load()), Took: time.Since(start), ServiceAccounts: len(m.Services)}, err
}

// createPod creates the pod and gives it its IP.
func createPod(ctx context.Context, c client.Client, p *Pod) error {
	obj := p.Object()
	if err := c.Create(ctx, obj); err != nil {
		return fmt.Errorf("creating pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	if err := c.Status().Update(ctx, p.WithStatus(obj)); err != nil {
		return fmt.Errorf("setting the IP of pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	p.UID = string(obj.UID)
	return nil
}

// deletePod deletes the pod at once (there is no kubelet to wait for).
func deletePod(ctx context.Context, c client.Client, p *Pod) error {
	obj := &corev1.Pod{}
	obj.Name, obj.Namespace = p.Name, p.Namespace
	if err := c.Delete(ctx, obj, client.GracePeriodSeconds(0)); err != nil {
		return fmt.Errorf("deleting pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}
