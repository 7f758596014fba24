package localenv

import (
	"context"
	"errors"
	"fmt"
	"github.com/sailplane/sailplane/internal/defaults"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var wantCRDs = []string{
	"destinationrules.networking.istio.io",
	"gateways.networking.istio.io",
	"serviceentries.networking.istio.io",
	"sidecars.networking.istio.io",
	"virtualservices.networking.istio.io",
}

// TestLocalEnv runs one real kube-apiserver and etcd for all steps: starting
// them takes seconds, and each step builds on the previous one.
func TestLocalEnv(t *testing.T) {
	ctx := context.Background()
	kubeconfig := filepath.Join(t.TempDir(), "local", "kubeconfig")
	env, err := Start(ctx, testr.New(t), Options{Namespace: "sailplane-system", KubeconfigPath: kubeconfig})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = env.Stop()
		}
	})

	t.Run("crds established", func(t *testing.T) { checkCRDs(t, env) })
	t.Run("kubeconfig works", func(t *testing.T) { checkKubeconfig(t, env, kubeconfig) })
	t.Run("apply manifests", func(t *testing.T) { checkApply(t, env) })
	t.Run("service range fits a realistic mesh", func(t *testing.T) { checkServiceRange(t, env) })

	stopped = true
	if err := env.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(kubeconfig); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("kubeconfig %s still there after Stop (stat error %v)", kubeconfig, err)
	}
}

func checkCRDs(t *testing.T, env *Env) {
	scheme := runtime.NewScheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(env.Config(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range wantCRDs {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := c.Get(context.Background(), types.NamespacedName{Name: name}, &crd); err != nil {
			t.Errorf("CRD %s: %v", name, err)
			continue
		}
		if !established(&crd) {
			t.Errorf("CRD %s is not Established: %+v", name, crd.Status.Conditions)
		}
	}
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// checkKubeconfig uses the file as kubectl would: nothing from env but the path.
func checkKubeconfig(t *testing.T, env *Env, path string) {
	if env.KubeconfigPath() != path {
		t.Errorf("KubeconfigPath() = %q, want %q", env.KubeconfigPath(), path)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("kubeconfig mode %o, want 600 (it holds a client key)", mode)
	}
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if raw.CurrentContext != contextName {
		t.Errorf("current context %q, want %q", raw.CurrentContext, contextName)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var list corev1.NamespaceList
	if err := c.List(context.Background(), &list); err != nil {
		t.Fatalf("listing namespaces with the written kubeconfig: %v", err)
	}
	names := make([]string, 0, len(list.Items))
	for _, ns := range list.Items {
		names = append(names, ns.Name)
	}
	for _, want := range []string{"default", "sailplane-system"} {
		if !slices.Contains(names, want) {
			t.Errorf("namespaces %v lack %q", names, want)
		}
	}
	// The demo hint's sailctl proxy-status asks for a token of this account.
	var sa corev1.ServiceAccount
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "sailplane-system", Name: defaults.SailctlServiceAccount}, &sa); err != nil {
		t.Errorf("local mode did not create ServiceAccount %s for sailctl's debug access: %v", defaults.SailctlServiceAccount, err)
	}
}

// checkApply applies testdata twice (a restart re-applies the same files)
// and reads the objects back.
func checkApply(t *testing.T, env *Env) {
	ctx := context.Background()
	for i := range 2 {
		if err := env.Apply(ctx, filepath.Join("testdata", "manifests")); err != nil {
			t.Fatalf("Apply #%d: %v", i+1, err)
		}
	}
	c, err := client.New(env.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	vs := get(t, c, "VirtualService", "bookinfo", "reviews")
	hosts, _, _ := unstructured.NestedStringSlice(vs.Object, "spec", "hosts")
	if !slices.Equal(hosts, []string{"reviews"}) {
		t.Errorf("VirtualService bookinfo/reviews spec.hosts = %v, want [reviews]", hosts)
	}
	// No namespace in the file: it lands in "default", as with kubectl.
	get(t, c, "DestinationRule", "default", "reviews")

	// A kind sailplane does not serve fails with the file and the object named.
	bad := filepath.Join(t.TempDir(), "envoyfilter.yaml")
	doc := "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata:\n  name: default\n"
	if err := os.WriteFile(bad, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	err = env.Apply(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), bad+" document 1: EnvoyFilter default") {
		t.Errorf("Apply(%s) error = %v, want one naming the file, document and object", bad, err)
	}
}

func get(t *testing.T, c client.Client, kind, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("networking.istio.io/v1")
	obj.SetKind(kind)
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: name}, obj); err != nil {
		t.Fatalf("%s %s/%s: %v", kind, namespace, name, err)
	}
	return obj
}

// checkServiceRange asks for ClusterIPs far outside envtest's default /24
// (10.0.0.0/24, about 250 Services): the /12 must hold them.
func checkServiceRange(t *testing.T, env *Env) {
	c, err := client.New(env.Config(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, ip := range []string{"10.100.0.10", "10.111.255.200"} {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("wide-%d", i), Namespace: "default"},
			Spec:       corev1.ServiceSpec{ClusterIP: ip, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
		}
		if err := c.Create(context.Background(), svc); err != nil {
			t.Errorf("Service with ClusterIP %s: %v", ip, err)
		}
	}
}
