package console

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkloadShowsItsRateLimits: a workload's detail names the
// RateLimitPolicy that applies to it and each of its buckets, and a
// workload the policy does not select shows none.
func TestWorkloadShowsItsRateLimits(t *testing.T) {
	base, err := os.ReadFile("testdata/reviews.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "mesh.yaml")
	policy := `
---
apiVersion: policy.sailplane.io/v1alpha1
kind: RateLimitPolicy
metadata: {name: reviews-v1, namespace: bookinfo}
spec:
  selector: {matchLabels: {version: v1}}
  dryRun: true
  rules:
  - name: all
    local: {maxTokens: 100, tokensPerFill: 50, fillInterval: 1s}
`
	if err := os.WriteFile(file, append(base, policy...), 0o600); err != nil {
		t.Fatal(err)
	}
	v := Build(Input{Model: modelOf(t, file)})
	nodes := map[string]Node{}
	for _, n := range v.Graph.Nodes {
		nodes[n.ID] = n
	}
	v1, v2 := nodes[workloadID("bookinfo", "reviews-v1-a")], nodes[workloadID("bookinfo", "reviews-v2-a")]
	if got := field(v1.Detail, "rate limit"); !strings.Contains(got, "RateLimitPolicy bookinfo/reviews-v1") || !strings.Contains(got, "dry run") {
		t.Errorf("reviews-v1-a rate limit = %q, want the policy named and its dry run", got)
	}
	if got := field(v1.Detail, "rate limit rule all"); got != "50 requests per 1s, burst 100, for every request" {
		t.Errorf("reviews-v1-a bucket = %q", got)
	}
	if got := field(v2.Detail, "rate limit"); got != "" {
		t.Errorf("reviews-v2-a is not selected, yet shows rate limit %q", got)
	}
}
