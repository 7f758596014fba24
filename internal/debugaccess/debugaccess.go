// Package debugaccess holds who may read the control plane's debug
// endpoints: the permission they check (get services/proxy on the
// sailplane Service) and the ServiceAccount sailctl, bound to it, whose
// token sailctl requests with a user's own credentials. config/rbac
// deploys the same objects (test/deploy compares them); local mode and the
// test suites create them with Ensure.
package debugaccess

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/internal/defaults"
)

// RoleName is the Role granting the debug permission.
const RoleName = "sailplane-debug"

// Rules is the debug permission: get on the proxy subresource of the
// sailplane Service. Whoever may reach the control plane through the API
// server's service proxy may read what it serves there.
func Rules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"services/proxy"},
		ResourceNames: []string{defaults.ControlPlaneService}, Verbs: []string{"get"},
	}}
}

// Objects are the ServiceAccount sailctl, the Role and its RoleBinding in
// the control plane's namespace.
func Objects(namespace string) []client.Object {
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: namespace, Name: name} }
	return []client.Object{
		&corev1.ServiceAccount{ObjectMeta: meta(defaults.SailctlServiceAccount)},
		&rbacv1.Role{ObjectMeta: meta(RoleName), Rules: Rules()},
		&rbacv1.RoleBinding{
			ObjectMeta: meta(RoleName),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: RoleName},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: defaults.SailctlServiceAccount}},
		},
	}
}

// Ensure creates the objects that do not exist yet.
func Ensure(ctx context.Context, c client.Client, namespace string) error {
	for _, o := range Objects(namespace) {
		if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %T %s/%s for sailctl's debug access: %w", o, namespace, o.GetName(), err)
		}
	}
	return nil
}
