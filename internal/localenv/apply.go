package localenv

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// fieldOwner is the server-side-apply manager of objects applied from files,
// so a second start with edited files updates them instead of conflicting.
const fieldOwner = "sailplane-local-apply"

// defaultNamespace is where namespaced objects without one go, as with kubectl.
const defaultNamespace = "default"

// Apply server-side-applies every object in the given files and directories
// (multi-document YAML or JSON) in order. Namespaces that objects name are
// created when missing, so samples need not carry Namespace objects.
func (e *Env) Apply(ctx context.Context, paths ...string) error {
	files, err := manifestFiles(paths)
	if err != nil {
		return err
	}
	c, err := newClient(e.cfg)
	if err != nil {
		return err
	}
	for _, file := range files {
		manifests, err := readManifests(file)
		if err != nil {
			return err
		}
		for _, m := range manifests {
			if err := e.applyOne(ctx, c, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *Env) applyOne(ctx context.Context, c client.Client, m manifest) error {
	obj := m.obj
	what := fmt.Sprintf("%s: %s %s", m.source, obj.GetKind(), obj.GetName())
	namespaced, err := c.IsObjectNamespaced(obj)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if namespaced {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(defaultNamespace)
		}
		created, err := ensureNamespace(ctx, c, obj.GetNamespace())
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if created {
			e.log.Info("created namespace", "namespace", obj.GetNamespace())
		}
	}
	err = c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj),
		client.FieldOwner(fieldOwner), client.ForceOwnership)
	if err != nil {
		return fmt.Errorf("%s: applying: %w", what, err)
	}
	e.log.Info("applied", "kind", obj.GetKind(), "namespace", obj.GetNamespace(), "name", obj.GetName())
	return nil
}

// ensureNamespace creates the namespace unless it exists and says whether
// it created it.
func ensureNamespace(ctx context.Context, c client.Client, name string) (bool, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	err := c.Create(ctx, ns)
	if apierrors.IsAlreadyExists(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return true, nil
}

// newClient builds an uncached client; local set-up runs before any manager
// (and its cache) exists.
func newClient(cfg *rest.Config) (client.Client, error) {
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil, fmt.Errorf("creating a client for the embedded API server: %w", err)
	}
	return c, nil
}
