package main

import (
	"bytes"
	"strings"
	"testing"
)

// sailctl x translate --show ratelimit prints the buckets the generated
// config holds for the proxy, and says when no policy applies.
func TestTranslateShowsRateLimits(t *testing.T) {
	show := func(proxy string) string {
		t.Helper()
		var out, errs bytes.Buffer
		args := []string{"x", "translate", "-f", translateTestdata("ratelimit.base.yaml"), "-f", translateTestdata("ratelimit-workload.in.yaml"),
			"--proxy", proxy, "--show", "ratelimit"}
		if code := run(args, &out, &errs); code != 0 {
			t.Fatalf("exit %d: %s", code, errs.String())
		}
		return out.String()
	}
	got := show("frontend-v1.default")
	for _, want := range []string{
		"policy: RateLimitPolicy default/frontend\n",
		"every request: burst 100, +50 every 1s; refused with 503",
		`rule login (:path = "/login" and :method = "POST" or :path starts with "/login?" and :method = "POST"): burst 5, +1 every 1m0s; refused with 503`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if got := show("reviews-v1.default"); !strings.Contains(got, "policy: RateLimitPolicy default/namespace-wide") || !strings.Contains(got, "every request: burst 10, +1 every 1s; refused with 429") {
		t.Errorf("reviews should get the namespace policy:\n%s", got)
	}
	if got := show("mysqldb-v1.default"); !strings.Contains(got, "connections: burst 10, +1 every 1s") {
		t.Errorf("mysqldb's TCP port should be limited by the namespace policy:\n%s", got)
	}
}
