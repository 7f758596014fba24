package xds

import (
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
)

func authzModel(t *testing.T, specs ...string) *model.Model {
	t.Helper()
	b := &bundle.Bundle{}
	for i, s := range specs {
		var spec securityv1.AuthorizationPolicySpec
		if err := yaml.UnmarshalStrict([]byte(s), &spec); err != nil {
			t.Fatal(err)
		}
		b.AuthorizationPolicies = append(b.AuthorizationPolicies, securityv1.AuthorizationPolicy{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: string(rune('a' + i))},
			Spec:       spec,
		})
	}
	return model.Build(b)
}

func rbacOf(t *testing.T, filters []*hcmv3.HttpFilter) []*rbacv3.RBAC {
	t.Helper()
	var out []*rbacv3.RBAC
	for _, f := range filters {
		if !strings.HasPrefix(f.Name, names.RBACFilter+".") {
			t.Fatalf("filter %s, want %s.<action>", f.Name, names.RBACFilter)
		}
		var cfg rbachttpv3.RBAC
		if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
			t.Fatal(err)
		}
		if err := cfg.ValidateAll(); err != nil {
			t.Fatal(err)
		}
		out = append(out, cfg.Rules)
	}
	return out
}

// usesMetadata reports whether any matcher reads dynamic metadata, which
// grpc-go's RBAC cannot.
func usesMetadata(r *rbacv3.RBAC) bool {
	found := false
	walkMessages(r.ProtoReflect(), func(m protoreflect.Message) {
		switch m.Interface().(type) {
		case *rbacv3.Principal:
			found = found || m.Interface().(*rbacv3.Principal).GetMetadata() != nil
		case *rbacv3.Permission:
			found = found || m.Interface().(*rbacv3.Permission).GetMetadata() != nil
		}
	})
	return found
}

// TestAuthzProxyless: for a proxyless gRPC server (gRFC A41) AUDIT is
// left out, an ALLOW rule on JWT claims is dropped (it could never match
// there), a DENY rule keeps everything but its JWT part (it denies more),
// and grpc-* headers are not matched; each is reported.
func TestAuthzProxyless(t *testing.T) {
	m := authzModel(t,
		`{action: AUDIT, rules: [{}]}`,
		`{rules: [{from: [{source: {requestPrincipals: ["*"]}}]}, {to: [{operation: {paths: ["/echo.Echo/*"]}}]}]}`,
		`{action: DENY, rules: [{from: [{source: {namespaces: [shop]}}], when: [{key: "request.auth.claims[group]", values: [x]}]}]}`,
		`{action: DENY, rules: [{when: [{key: "request.headers[grpc-timeout]", values: ["*"]}], to: [{operation: {paths: ["/x"]}}]}]}`,
	)
	target := AuthzTarget{Namespace: "default", Port: 7070}
	envoy, _ := AuthzHTTPFilters(m, target, false)
	if got := rbacOf(t, envoy); len(got) != 3 || got[0].Action != rbacv3.RBAC_LOG || !usesMetadata(got[1]) || !usesMetadata(got[2]) {
		t.Fatalf("Envoy filters: %v", got)
	}
	grpc, problems := AuthzHTTPFilters(m, target, true)
	got := rbacOf(t, grpc)
	if len(got) != 2 || got[0].Action != rbacv3.RBAC_DENY || got[1].Action != rbacv3.RBAC_ALLOW {
		t.Fatalf("gRPC filters: %v", got)
	}
	for _, r := range got {
		if usesMetadata(r) {
			t.Errorf("gRPC filter reads metadata: %v", r)
		}
	}
	allow := got[1].Policies
	if _, ok := allow[names.AuthzPolicy("default", "b", 0)]; ok {
		t.Errorf("the requestPrincipals ALLOW rule should be dropped for gRPC: %v", allow)
	}
	if _, ok := allow[names.AuthzPolicy("default", "b", 1)]; !ok {
		t.Errorf("the path ALLOW rule should stay: %v", allow)
	}
	deny := got[0].Policies
	want := &rbacv3.Policy{Permissions: []*rbacv3.Permission{anyRule}, Principals: []*rbacv3.Principal{peerNamespace("shop")}}
	if p := deny[names.AuthzPolicy("default", "c", 0)]; !proto.Equal(p, want) {
		t.Errorf("the DENY rule should keep only its namespace: %v", p)
	}
	if p := deny[names.AuthzPolicy("default", "d", 0)]; !proto.Equal(p, &rbacv3.Policy{Permissions: []*rbacv3.Permission{pathRule("/x")}, Principals: []*rbacv3.Principal{anyID}}) {
		t.Errorf("the grpc-timeout DENY rule should keep only its path: %v", p)
	}
	var reasons []string
	for _, p := range problems {
		reasons = append(reasons, p.Object.Name+": "+p.Field+": "+p.Reason)
	}
	joined := strings.Join(reasons, "\n")
	for _, w := range []string{"a: action: AUDIT is not applied", "b: rules[0]: from[0].source.requestPrincipals cannot be applied on a proxyless gRPC server: the rule is ignored",
		"c: rules[0]: when[0] cannot be applied on a proxyless gRPC server: left out", "d: rules[0]: when[0] cannot be applied"} {
		if !strings.Contains(joined, w) {
			t.Errorf("problems lack %q:\n%s", w, joined)
		}
	}
}

// TestRBACChecksCatchInvalidFilters: CheckConsistency looks inside the
// typed configs, where proto validation of the listener stops.
func TestRBACChecksCatchInvalidFilters(t *testing.T) {
	bad := httpFilter(names.RBACFilter, &rbachttpv3.RBAC{Rules: &rbacv3.RBAC{Policies: map[string]*rbacv3.Policy{"p": {}}}})
	l := &listenerv3.Listener{Name: "l", FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{hcmFilter(&hcmv3.HttpConnectionManager{
		StatPrefix: "s", HttpFilters: []*hcmv3.HttpFilter{bad},
	})}}}}
	errs := rbacChecks(&Resources{Listeners: []*listenerv3.Listener{l}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "invalid RBAC filter") {
		t.Fatalf("errors %v, want one invalid RBAC filter", errs)
	}
	ok := httpFilter(names.AuthzHTTPFilter("deny"), &rbachttpv3.RBAC{Rules: &rbacv3.RBAC{Action: rbacv3.RBAC_DENY}})
	l.FilterChains[0].Filters[0] = hcmFilter(&hcmv3.HttpConnectionManager{StatPrefix: "s", HttpFilters: []*hcmv3.HttpFilter{ok, ok}})
	errs = rbacChecks(&Resources{Listeners: []*listenerv3.Listener{l}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "appears twice") {
		t.Fatalf("errors %v, want the repeated filter name", errs)
	}
}

// TestAuthzFiltersAfterJWT: RBAC goes after jwt_authn (it reads the
// verified claims) and before everything else.
func TestAuthzFiltersAfterJWT(t *testing.T) {
	f := func(n string) *hcmv3.HttpFilter { return &hcmv3.HttpFilter{Name: n} }
	got := withAuthzFilters([]*hcmv3.HttpFilter{f(names.JWTAuthnFilter), f(names.FaultFilter), f(names.RouterFilter)}, []*hcmv3.HttpFilter{f("rbac1"), f("rbac2")})
	var order []string
	for _, x := range got {
		order = append(order, x.Name)
	}
	want := names.JWTAuthnFilter + " rbac1 rbac2 " + names.FaultFilter + " " + names.RouterFilter
	if strings.Join(order, " ") != want {
		t.Errorf("order %v, want %s", order, want)
	}
	got = withAuthzFilters([]*hcmv3.HttpFilter{f(names.RouterFilter)}, []*hcmv3.HttpFilter{f("rbac")})
	if got[0].Name != "rbac" || got[1].Name != names.RouterFilter {
		t.Errorf("without jwt_authn: %v", got)
	}
}
