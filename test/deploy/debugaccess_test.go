package deploy

import (
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sailplane/sailplane/internal/debugaccess"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/envtestbin"
)

// TestDeployedDebugAccessMatchesLocalMode: config/default deploys the
// same ServiceAccount, Role and RoleBinding for sailctl's debug access that
// local mode and the test suites create (internal/debugaccess), and the
// manager may do the TokenReviews and SubjectAccessReviews that check it.
func TestDeployedDebugAccessMatchesLocalMode(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs := render(t, root, "config/default")
	var ns string
	found := map[string]runtime.Object{}
	var managerRole *rbacv1.ClusterRole
	for _, o := range objs {
		switch {
		case o.GetKind() == "Service" && o.GetName() == defaults.ControlPlaneService:
			ns = o.GetNamespace()
		case o.GetKind() == "ClusterRole" && o.GetName() == "sailplane-manager":
			managerRole = &rbacv1.ClusterRole{}
			convert(t, o.Object, managerRole)
		}
	}
	for _, o := range objs {
		if o.GetNamespace() != ns {
			continue
		}
		var into runtime.Object
		switch o.GetKind() {
		case "ServiceAccount":
			into = &corev1.ServiceAccount{}
		case "Role":
			into = &rbacv1.Role{}
		case "RoleBinding":
			into = &rbacv1.RoleBinding{}
		default:
			continue
		}
		convert(t, o.Object, into)
		found[o.GetKind()+"/"+o.GetName()] = into
	}
	for _, want := range debugaccess.Objects(ns) {
		kind := reflect.TypeOf(want).Elem().Name()
		got, ok := found[kind+"/"+want.GetName()]
		if !ok {
			t.Errorf("config/default has no %s %s/%s", kind, ns, want.GetName())
			continue
		}
		switch w := want.(type) {
		case *rbacv1.Role:
			if g := got.(*rbacv1.Role); !reflect.DeepEqual(g.Rules, w.Rules) {
				t.Errorf("Role %s rules %+v, local mode's %+v", w.Name, g.Rules, w.Rules)
			}
		case *rbacv1.RoleBinding:
			if g := got.(*rbacv1.RoleBinding); !reflect.DeepEqual(g.RoleRef, w.RoleRef) || !reflect.DeepEqual(g.Subjects, w.Subjects) {
				t.Errorf("RoleBinding %s: %+v %+v, local mode's %+v %+v", w.Name, g.RoleRef, g.Subjects, w.RoleRef, w.Subjects)
			}
		}
	}
	if managerRole == nil {
		t.Fatal("config/default has no ClusterRole sailplane-manager")
	}
	for _, need := range [][2]string{{"authentication.k8s.io", "tokenreviews"}, {"authorization.k8s.io", "subjectaccessreviews"}} {
		if !allows(managerRole.Rules, need[0], need[1], "create") {
			t.Errorf("ClusterRole sailplane-manager may not create %s.%s", need[1], need[0])
		}
	}
	if !allows(managerRole.Rules, "", "configmaps", "create") || !allows(managerRole.Rules, "", "configmaps", "update") {
		t.Error("ClusterRole sailplane-manager may not create and update configmaps (the trust bundle istio-ca-root-cert)")
	}
}

func convert(t *testing.T, in map[string]any, out any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(in, out); err != nil {
		t.Fatal(err)
	}
}

func allows(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}
