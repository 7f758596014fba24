// Package deploy checks that the kustomize tree under config/ renders and
// that the API server accepts every rendered object (server-side dry run),
// so a broken deployment is caught in CI rather than in a cluster.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// kustomize returns the pinned kustomize binary, installing it through the
// Makefile when the test runs outside `make test`.
func kustomize(t *testing.T, root string) string {
	t.Helper()
	if k := os.Getenv("SAILPLANE_KUSTOMIZE"); k != "" {
		return k
	}
	out, err := exec.Command("make", "-s", "-C", root, "tools").CombinedOutput()
	if err != nil {
		t.Fatalf("make tools: %v\n%s", err, out)
	}
	matches, _ := filepath.Glob(filepath.Join(root, "bin", "kustomize-*"))
	if len(matches) == 0 {
		t.Fatal("kustomize not found in bin/")
	}
	return matches[0]
}

func render(t *testing.T, root, dir string) []*unstructured.Unstructured {
	t.Helper()
	cmd := exec.Command(kustomize(t, root), "build", filepath.Join(root, dir))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("decoding %s: %v", dir, err)
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

func TestDefaultDeploymentAppliesWithDryRun(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs := render(t, root, "config/default")
	env, cfg, err := envtestutil.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()

	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
	}
	for _, want := range []string{"CustomResourceDefinition", "Deployment", "Service", "ServiceAccount",
		"ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration", "Namespace"} {
		if kinds[want] == 0 {
			t.Errorf("config/default renders no %s (rendered: %v)", want, kinds)
		}
	}
	applyAll(t, cfg, objs)
	t.Logf("config/default: %d objects accepted by the API server (server-side apply, dry run): %v", len(objs), kinds)
}

// applyAll creates the namespaces for real (a dry-run namespace does not
// exist for the objects inside it) and server-side applies everything else
// with dryRun=All.
func applyAll(t *testing.T, cfg *rest.Config, objs []*unstructured.Unstructured) {
	t.Helper()
	dyn := dynamic.NewForConfigOrDie(cfg)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(cfg)))
	ctx := context.Background()
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			ns := &unstructured.Unstructured{Object: o.Object}
			_, err := dyn.Resource(corev1.SchemeGroupVersion.WithResource("namespaces")).Create(ctx, ns, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("creating namespace %s: %v", o.GetName(), err)
			}
		}
	}
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Errorf("%s %s: no API for it: %v", gvk.Kind, o.GetName(), err)
			continue
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
		}
		_, err = ri.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: "sailplane-test", Force: true, DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			t.Errorf("%s %s/%s rejected: %v", gvk.Kind, o.GetNamespace(), o.GetName(), err)
		}
	}
}
