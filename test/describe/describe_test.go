// Package describe runs `sailctl x describe pod` against a real API server
// (envtest), as a user whose RBAC lets them read the mesh's objects but no
// Secrets: the command must work with exactly that.
package describe

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/test/envtestutil"
)

func TestDescribePodOnline(t *testing.T) {
	env, cfg, err := envtestutil.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := securityv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	create := func(obj client.Object) {
		t.Helper()
		if err := admin.Create(ctx, obj); err != nil {
			t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
		}
	}
	create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{inject.NamespaceInjectionLabel: "enabled"}}})
	create(&securityv1.PeerAuthentication{
		ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "shop"},
		Spec:       securityv1.PeerAuthenticationSpec{Mtls: &securityv1.PeerAuthenticationMutualTLS{Mode: securityv1.MTLSStrict}},
	})
	create(admittedPod(t))
	create(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	})

	kubeconfig := readerKubeconfig(t, env, admin)
	if err := admin.List(ctx, &corev1.SecretList{}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(envtestutil.BuildSailctl(t), "x", "describe", "pod", "web-1.shop", "--kubeconfig", kubeconfig).CombinedOutput()
	if err != nil {
		t.Fatalf("sailctl x describe pod: %v\n%s", err, out)
	}
	for _, want := range []string{
		"sidecar: yes, identity spiffe://cluster.local/ns/shop/sa/default",
		"8080  http              STRICT  namespace  PeerAuthentication shop/default",
		"web        liveness  HTTP GET :15020/app-health/web/livez  HTTP GET :8080/healthz on localhost  yes",
		"outbound|80||web.shop.svc.cluster.local",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// admittedPod is web-1 as the injection webhook admits it.
func admittedPod(t *testing.T) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		// envtest runs no ServiceAccount admission, which would set it.
		Spec: corev1.PodSpec{ServiceAccountName: "default", Containers: []corev1.Container{{
			Name: "web", Image: "example/web",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/healthz", Port: intstr.FromString("http")}}},
		}}},
	}
	s := inject.DefaultSettings().Complete(inject.DefaultControlPlaneNamespace)
	res := inject.Inject(pod, inject.Source{Namespace: inject.Namespace{Name: "shop",
		Labels: map[string]string{inject.NamespaceInjectionLabel: "enabled"}}}, s)
	if !res.Injected {
		t.Fatalf("not injected: %s", res.Status)
	}
	return res.Pod
}

// readerKubeconfig is a user who may get and list what the mesh is made
// of, cluster-wide, and nothing else: no Secrets.
func readerKubeconfig(t *testing.T, env *envtest.Environment, admin client.Client) string {
	t.Helper()
	ctx := context.Background()
	read := []string{"get", "list"}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "mesh-reader"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"namespaces", "services", "pods", "nodes"}, Verbs: read},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: read},
			{APIGroups: []string{"networking.istio.io"}, Resources: []string{"gateways", "virtualservices", "destinationrules", "serviceentries", "sidecars"}, Verbs: read},
			{APIGroups: []string{"security.istio.io"}, Resources: []string{"peerauthentications", "requestauthentications", "authorizationpolicies"}, Verbs: read},
			{APIGroups: []string{"telemetry.istio.io"}, Resources: []string{"telemetries"}, Verbs: read},
			{APIGroups: []string{"policy.sailplane.io"}, Resources: []string{"ratelimitpolicies"}, Verbs: read},
		},
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "mesh-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "mesh-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "reader"}},
	}
	for _, obj := range []client.Object{role, binding} {
		if err := admin.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	user, err := env.AddUser(envtest.User{Name: "reader"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	// The reader really cannot list Secrets: describe working proves it
	// never asked.
	rc, err := clientcmd.RESTConfigFromKubeConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	reader, err := client.New(rc, client.Options{Scheme: admin.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.List(ctx, &corev1.SecretList{}); !apierrors.IsForbidden(err) {
		t.Fatalf("the reader listing Secrets: %v, want forbidden", err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
