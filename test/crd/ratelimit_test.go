package crd

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// validRateLimitPolicies are policies the API server must accept and
// read back unchanged: the smallest one, and one setting every field.
var validRateLimitPolicies = []string{
	`{rules: [{name: all, local: {maxTokens: 100, fillInterval: 1s}}]}`,
	`{selector: {matchLabels: {app: frontend}}, limitHeaders: true, dryRun: true,
	  response: {status: 503, headers: {x-limited: "yes"}},
	  rules: [
	    {name: all, local: {maxTokens: 100, tokensPerFill: 50, fillInterval: 1s}},
	    {name: login, match: {path: {exact: /login}, method: POST, headers: {x-user: {prefix: guest-}, x-debug: {}},
	      from: {principals: [cluster.local/ns/a/sa/b], namespaces: [a]}},
	     local: {maxTokens: 5, fillInterval: 1m}}]}`,
	`{targetRef: {group: networking.istio.io, kind: Gateway, name: web}, rules: [{name: all, local: {maxTokens: 500, fillInterval: 50ms}}]}`,
	`{targetRef: {kind: Service, name: frontend}, rules: [{name: all, local: {maxTokens: 1, fillInterval: 1h}}]}`,
	// Global rules: any number may count every request; one may be local too.
	`{rules: [{name: all, global: {provider: rls}}, {name: also, global: {provider: edge}},
	  {name: both, local: {maxTokens: 10, fillInterval: 1s}, global: {provider: rls}}]}`,
}

func TestRateLimitPoliciesAccepted(t *testing.T) {
	const ns = "ratelimit"
	ensureNamespace(t, ns)
	for i, spec := range validRateLimitPolicies {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(spec), &m); err != nil {
			t.Fatalf("bad test spec %d: %v", i, err)
		}
		obj := &unstructured.Unstructured{Object: map[string]any{"kind": "RateLimitPolicy", "spec": m}}
		obj.SetName("ok-" + string(rune('a'+i)))
		if _, err := createAs(obj, "v1alpha1", ns); err != nil {
			t.Errorf("policy %d refused: %v", i, err)
			continue
		}
		got, err := get("RateLimitPolicy", "v1alpha1", ns, obj.GetName())
		if err != nil {
			t.Fatal(err)
		}
		if same, diff := sameSpec(obj, got); !same {
			t.Errorf("policy %d reads back differently:\n%s", i, diff)
		}
	}
}
