package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const authzPolicies = `apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: shop}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {serviceAccountName: buyer, containers: [{name: app, image: client}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews-get, namespace: default}
spec:
  selector: {matchLabels: {app: reviews}}
  rules:
  - from: [{source: {principals: ["cluster.local/ns/shop/sa/buyer"]}}]
    to: [{operation: {methods: [GET], paths: ["/reviews/*"]}}]
  - when: [{key: "request.auth.claims[role]", values: [auditor]}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-admin, namespace: default}
spec:
  action: DENY
  rules: [{to: [{operation: {paths: ["/reviews/admin*"]}}]}]
`

// TestAuthzCheck: sailctl x authz check answers from the destination's
// generated RBAC, naming the deciding policy and rule.
func TestAuthzCheck(t *testing.T) {
	dir := t.TempDir()
	policies := filepath.Join(dir, "policies.yaml")
	if err := os.WriteFile(policies, []byte(authzPolicies), 0o644); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join("..", "..", "internal", "translate", "testdata", "mesh.base.yaml")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--from", "client.shop", "--to", "reviews-v1.default", "--path", "/reviews/1"}, 0, "ALLOWED by AuthorizationPolicy default/reviews-get rules[0]"},
		{[]string{"--from", "client.shop", "--to", "reviews-v1.default:9080", "--path", "/reviews/1", "--method", "POST"}, 1, "DENIED: ALLOW policies apply"},
		{[]string{"--from", "client.shop", "--to", "reviews-v1.default", "--path", "/reviews/admin/x"}, 1, "DENIED by AuthorizationPolicy default/no-admin rules[0] (DENY)"},
		{[]string{"--from", "frontend-v1.default", "--to", "reviews-v1.default", "--path", "/reviews/1"}, 1, "DENIED: ALLOW policies apply"},
		{[]string{"--from", "client.shop", "--to", "reviews-v1.default", "--path", "/reviews/1", "--mtls=false"}, 1, "(plaintext)"},
		{[]string{"--from", "frontend-v1.default", "--to", "reviews-v1.default", "--claims", `{"role":"auditor"}`}, 0, "ALLOWED by AuthorizationPolicy default/reviews-get rules[1]"},
		{[]string{"--from", "client.shop", "--to", "ratings-v1.default"}, 0, "ALLOWED: no AuthorizationPolicy applies"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"x", "authz", "check", "-f", base, "-f", policies}, tc.args...)
			code := run(args, &out, &errOut)
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Errorf("exit %d, output:\n%s%s\nwant exit %d and %q", code, out.String(), errOut.String(), tc.code, tc.want)
			}
		})
	}
}

func TestAuthzCheckNeedsAPort(t *testing.T) {
	var out, errOut bytes.Buffer
	base := filepath.Join("..", "..", "internal", "translate", "testdata", "mesh.base.yaml")
	code := run([]string{"x", "authz", "check", "-f", base, "--from", "frontend-v1.default", "--to", "echo-v1.default"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "name the port") || !strings.Contains(errOut.String(), "[7070 9090]") {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
}
