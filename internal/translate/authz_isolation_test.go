package translate

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/configdump"
)

// TestBadAuthzPolicyStaysWithItsWorkloads: policies the API server would
// refuse (met offline) change nothing for the workloads they do not
// select: every other pod's configuration is byte for byte what it is
// without them, and the good policy beside them still applies.
func TestBadAuthzPolicyStaysWithItsWorkloads(t *testing.T) {
	good := ap("default", "ratings-get", `{selector: {matchLabels: {app: ratings}}, rules: [{to: [{operation: {methods: [GET]}}]}]}`) +
		ap("shop", "allow-nothing", `{}`)
	bad := ap("default", "bad-key", `{selector: {matchLabels: {app: reviews}}, rules: [{when: [{key: request.user, values: [a]}]}]}`) +
		ap("default", "bad-deny", `{selector: {matchLabels: {app: reviews}}, action: DENY, rules: [{from: [{source: {principals: ["a*b"]}}]}]}`) +
		ap("default", "bad-action", `{selector: {matchLabels: {app: reviews, version: v2}}, action: PERMIT}`) +
		ap("shop", "bad-ip", `{selector: {matchLabels: {app: nothing-here}}, rules: [{from: [{source: {ipBlocks: [nope]}}]}]}`)
	for _, proxy := range []string{"ratings-v1.default", "frontend-v1.default", "echo-v1.default", "mysqldb-v1.default", "goods-v1.shop"} {
		t.Run(proxy, func(t *testing.T) {
			want := dumpWith(t, good, proxy)
			got := dumpWith(t, good+bad, proxy)
			if !bytes.Equal(want, got) {
				t.Errorf("bad policies for other workloads changed %s's configuration", proxy)
			}
		})
	}
	// The bad ones do reach reviews, failing closed: its config differs.
	if bytes.Equal(dumpWith(t, good, "reviews-v1.default"), dumpWith(t, good+bad, "reviews-v1.default")) {
		t.Error("reviews, which the bad policies select, should be configured by them")
	}
	// And the good policy is still enforced on ratings.
	rows := []authzRow{
		{"ratings GET", good + bad, authzCall{proxy: "ratings-v1.default"}, true, rule("default", "ratings-get", 0)},
		{"ratings POST", good + bad, authzCall{proxy: "ratings-v1.default", method: "POST"}, false, ""},
		{"reviews under a broken DENY", good + bad, authzCall{proxy: "reviews-v1.default"}, false, rule("default", "bad-deny", 0)},
	}
	runAuthzRows(t, rows)
}

// dumpWith is the proxy's config dump with mesh.base.yaml and the
// policies.
func dumpWith(t *testing.T, policies, proxy string) []byte {
	t.Helper()
	b, _, err := Load([]string{filepath.Join("testdata", "mesh.base.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Decode("policies.yaml", strings.NewReader(policies)); err != nil {
		t.Fatal(err)
	}
	res, err := Run(b, ParseProxy(proxy))
	if err != nil {
		t.Fatal(err)
	}
	d, err := configdump.Build(res.Resources, "v")
	if err != nil {
		t.Fatal(err)
	}
	out, err := configdump.YAML(d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
