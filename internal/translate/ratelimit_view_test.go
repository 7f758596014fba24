package translate

import (
	"strings"
	"testing"
)

// --show ratelimit prints the global rules read back from the ratelimit
// filters: the provider's settings, each rule's requests and descriptor.
func TestRateLimitReportGlobal(t *testing.T) {
	got := RateLimitReport(runCase(t, "testdata/ratelimit-global.in.yaml"))
	for _, want := range []string{
		`global provider edge: domain "edge", service cluster telemetry|9000||rls.example.com, timeout 100ms, requests refused when it fails; refused with 429`,
		`global provider mesh: domain "sailplane", service cluster telemetry|8081||ratelimit.default.svc.cluster.local, timeout 20ms, requests allowed when it fails`,
		`global rule all (every request): sends {sailplane_rule: all}`,
		`global rule login (:path starts with "/login" and :method = "POST" and x-user-id present): sends {sailplane_rule: login, x-user-id: <x-user-id>}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

// Rules on the caller read the peer; the plain-text chain says they never
// match there.
func TestRateLimitReportFrom(t *testing.T) {
	got := RateLimitReport(runCase(t, "testdata/ratelimit-from.in.yaml"))
	mtls, plain, ok := strings.Cut(got, "chain 0.0.0.0_9080:")
	if !ok || !strings.Contains(mtls, "chain 0.0.0.0_9080_mtls:") {
		t.Fatalf("want the mutual TLS chain, then the plain-text one:\n%s", got)
	}
	if !strings.Contains(mtls, `rule mesh (any mutual TLS peer)`) || !strings.Contains(mtls, `ends with ";URI=spiffe://cluster.local/ns/jobs/sa/batch"`) {
		t.Errorf("the mutual TLS chain lacks the caller rules:\n%s", mtls)
	}
	if strings.Contains(mtls, "never match") || !strings.Contains(plain, "never match here") {
		t.Errorf("only the plain-text chain should say the caller rules never match:\n%s", got)
	}
}
