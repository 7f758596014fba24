package xds

import (
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/controllers"
	"github.com/sailplane/sailplane/internal/translate"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/simulate"
	"github.com/sailplane/sailplane/test/envtestutil"
)

func apCondition(t *testing.T, ns, name string) *metav1.Condition {
	t.Helper()
	ap := &securityv1.AuthorizationPolicy{}
	if err := k8s.Get(context.Background(), clientKey(ns, name), ap); err != nil {
		t.Fatal(err)
	}
	c := meta.FindStatusCondition(ap.Status.Conditions, "Accepted")
	if c != nil && (c.ObservedGeneration != ap.Generation || ap.Status.ObservedGeneration != ap.Generation) {
		return nil
	}
	return c
}

// adminDecision subscribes as productpage and runs GET /admin/x into its
// virtualInbound through the RBAC filters it was served.
func adminDecision(t *testing.T, r *replica, ns string) simulate.AuthzResult {
	t.Helper()
	res, _ := dialSotW(t, r.xds, productpageNode(ns)).subscribe(t)
	for _, err := range xds.CheckConsistency(res) {
		t.Error(err)
	}
	got, err := simulate.InboundAuthz(res, simulate.Conn{Port: 9080, HTTP: "http/1.1"},
		simulate.AuthzRequest{SourceIP: "10.1.0.1", Method: "GET", Path: "/admin/x"})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// AuthorizationPolicies reach the selected proxy over ADS, edits change
// what it enforces, and each policy's status says whether it is accepted
// and why not.
func TestAuthorizationPolicyServedAndReported(t *testing.T) {
	const ns = "authz"
	createMesh(t, ns)
	r := startReplica(t, true)
	ap := &securityv1.AuthorizationPolicy{}
	ap.Name, ap.Namespace = "no-admin", ns
	ap.Spec = securityv1.AuthorizationPolicySpec{
		Selector: &securityv1.WorkloadSelector{MatchLabels: map[string]securityv1.LabelValue{"app": "productpage"}},
		Action:   securityv1.AuthzDeny,
		Rules:    []securityv1.AuthorizationRule{{To: []securityv1.AuthorizationRuleTo{{Operation: &securityv1.AuthorizationOperation{Paths: []securityv1.NonEmpty{"/admin*"}}}}}},
	}
	create(t, ap)
	custom := &securityv1.AuthorizationPolicy{}
	custom.Name, custom.Namespace = "ext", ns
	custom.Spec = securityv1.AuthorizationPolicySpec{Action: securityv1.AuthzCustom, Provider: &securityv1.AuthorizationExtensionProvider{Name: "opa"},
		Rules: []securityv1.AuthorizationRule{{To: []securityv1.AuthorizationRuleTo{{Operation: &securityv1.AuthorizationOperation{Paths: []securityv1.NonEmpty{"/ext"}}}}}}}
	create(t, custom)

	envtestutil.WaitFor(t, 30*time.Second, "Accepted=True on the DENY policy", func() bool {
		c := apCondition(t, ns, "no-admin")
		return c != nil && c.Status == metav1.ConditionTrue
	})
	var cond *metav1.Condition
	envtestutil.WaitFor(t, 30*time.Second, "Accepted=False on the CUSTOM policy", func() bool {
		cond = apCondition(t, ns, "ext")
		return cond != nil && cond.Status == metav1.ConditionFalse
	})
	if !strings.Contains(cond.Message, "provider.name") || !strings.Contains(cond.Message, "ext_authz") {
		t.Errorf("the CUSTOM policy's status does not say why: %q", cond.Message)
	}
	envtestutil.WaitFor(t, 30*time.Second, "productpage denies /admin", func() bool {
		got := adminDecision(t, r, ns)
		return !got.Allowed && got.Policy == "ns[authz]-policy[no-admin]-rule[0]"
	})

	// sailctl x authz check without -f reads the cluster the same way.
	b, err := controllers.Collect(context.Background(), k8s)
	if err != nil {
		t.Fatal(err)
	}
	v, err := translate.CheckAuthz(b, translate.AuthzQuery{From: clientKey(ns, "reviews-v1"), To: clientKey(ns, "productpage-v1"),
		Port: 9080, Method: "GET", Path: "/admin/x", MTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	if v.Allowed || v.Policy != clientKey(ns, "no-admin") || v.Rule != 0 || !v.MTLS {
		t.Errorf("authz check from the cluster: %+v, want denied by %s/no-admin rules[0] over mutual TLS", v, ns)
	}

	// Edit the policy live: /admin is allowed again, /private denied.
	if err := k8s.Get(context.Background(), clientKey(ns, "no-admin"), ap); err != nil {
		t.Fatal(err)
	}
	ap.Spec.Rules[0].To[0].Operation.Paths = []securityv1.NonEmpty{"/private*"}
	if err := k8s.Update(context.Background(), ap); err != nil {
		t.Fatal(err)
	}
	envtestutil.WaitFor(t, 30*time.Second, "productpage allows /admin after the edit", func() bool {
		return adminDecision(t, r, ns).Allowed
	})
}
