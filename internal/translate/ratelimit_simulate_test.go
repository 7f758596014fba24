package translate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// rlCall is a request (count copies) arriving at a time; want is the
// outcome per copy: "ok", "limited" (refused), "counted" (would be
// refused; dry run lets it through).
type rlCall struct {
	at      time.Duration
	method  string
	path    string
	headers map[string]string
	count   int
	want    []string
}

func times(n int, outcome string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = outcome
	}
	return out
}

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func inboundLimiter(t *testing.T, name string, port uint32) *simulate.RateLimiter {
	t.Helper()
	res := runCase(t, "testdata/"+name+".in.yaml")
	hcm, err := simulate.InboundHCM(res.Resources, port)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := simulate.HTTPRateLimiter(hcm)
	if err != nil || rl == nil {
		t.Fatalf("no local_ratelimit filter on port %d: %v", port, err)
	}
	return rl
}

func replay(t *testing.T, rl *simulate.RateLimiter, calls []rlCall, status uint32) {
	t.Helper()
	for _, c := range calls {
		var got []string
		for i := 0; i < c.count; i++ {
			d, err := rl.Request(c.at, simulate.Request{Method: c.method, Path: c.path, Headers: c.headers})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case d.Limited && d.Allowed:
				got = append(got, "counted")
			case d.Limited:
				if d.Status != status {
					t.Errorf("%s %s at %s: refused with %d, want %d", c.method, c.path, c.at, d.Status, status)
				}
				got = append(got, "limited")
			default:
				got = append(got, "ok")
			}
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%d× %s %s at %s:\n got %s\nwant %s", c.count, c.method, c.path, c.at, summary(got), summary(c.want))
		}
	}
}

// summary shortens runs of one outcome: "ok×100 limited×20".
func summary(s []string) string {
	var out []string
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		out = append(out, fmt.Sprintf("%s×%d", s[i], j-i))
		i = j
	}
	return strings.Join(out, " ")
}

// The whole-traffic rule of frontend's policy: a burst of 100, then 50 a
// second, never more than 100 banked.
func TestRateLimitSimulationBucket(t *testing.T) {
	rl := inboundLimiter(t, "ratelimit-workload", 9080)
	replay(t, rl, []rlCall{
		{at: 0, method: "GET", path: "/", count: 120, want: join(times(100, "ok"), times(20, "limited"))},
		{at: 500 * time.Millisecond, method: "GET", path: "/", count: 1, want: times(1, "limited")},
		{at: time.Second, method: "GET", path: "/", count: 51, want: join(times(50, "ok"), times(1, "limited"))},
		// Three fills (150 tokens) but the bucket holds 100.
		{at: 4 * time.Second, method: "GET", path: "/", count: 101, want: join(times(100, "ok"), times(1, "limited"))},
	}, 503)
}

// The POST /login rule: 5 at once, then one a minute, on top of the
// whole-traffic bucket; a GET of /login and a POST elsewhere are not it,
// and the query string does not hide the path.
func TestRateLimitSimulationMatchedRule(t *testing.T) {
	rl := inboundLimiter(t, "ratelimit-workload", 9080)
	replay(t, rl, []rlCall{
		{at: 0, method: "POST", path: "/login", count: 6, want: join(times(5, "ok"), times(1, "limited"))},
		{at: time.Millisecond, method: "GET", path: "/login", count: 3, want: times(3, "ok")},
		{at: time.Millisecond, method: "POST", path: "/login/help", count: 3, want: times(3, "ok")},
		{at: 59 * time.Second, method: "POST", path: "/login?next=/", count: 1, want: times(1, "limited")},
		{at: 60 * time.Second, method: "POST", path: "/login?next=/", count: 2, want: []string{"ok", "limited"}},
	}, 503)
	// The six POSTs and six other requests left 88 whole-traffic tokens;
	// the refused POST took none from it (the login bucket refused first).
	rl = inboundLimiter(t, "ratelimit-workload", 9080)
	replay(t, rl, []rlCall{
		{at: 0, method: "POST", path: "/login", count: 6, want: join(times(5, "ok"), times(1, "limited"))},
		{at: 0, method: "GET", path: "/", count: 96, want: join(times(95, "ok"), times(1, "limited"))},
	}, 503)
}

// A policy of matched rules only limits nothing else; its rule needs
// every header (x-debug present, x-user a guest) and the path prefix.
func TestRateLimitSimulationMatchedOnly(t *testing.T) {
	rl := inboundLimiter(t, "ratelimit-namespace", 9080)
	guest := map[string]string{"x-debug": "1", "x-user": "guest-42"}
	replay(t, rl, []rlCall{
		{at: 0, method: "GET", path: "/", count: 2000, want: times(2000, "ok")},
		{at: 0, method: "GET", path: "/api/items", headers: map[string]string{"x-user": "guest-42"}, count: 30, want: times(30, "ok")},
		{at: 0, method: "GET", path: "/api/items", headers: map[string]string{"x-debug": "1", "x-user": "admin"}, count: 30, want: times(30, "ok")},
		{at: 0, method: "GET", path: "/api/items", headers: guest, count: 21, want: join(times(20, "ok"), times(1, "limited"))},
		{at: 10 * time.Second, method: "GET", path: "/api/items", headers: guest, count: 11, want: join(times(10, "ok"), times(1, "limited"))},
	}, 429)
}

// Dry run: the same bucket runs dry, but every request goes through.
func TestRateLimitSimulationDryRun(t *testing.T) {
	rl := inboundLimiter(t, "ratelimit-dryrun", 9080)
	replay(t, rl, []rlCall{
		{at: 0, method: "GET", path: "/", count: 12, want: join(times(10, "ok"), times(2, "counted"))},
		{at: time.Second, method: "GET", path: "/", count: 2, want: []string{"ok", "counted"}},
	}, 0)
}

// The gateway: /search has its own 10 per 2s inside the gateway's 500.
func TestRateLimitSimulationGateway(t *testing.T) {
	res := runCase(t, "testdata/ratelimit-gateway.in.yaml")
	rl, err := simulate.GatewayRateLimiter(res.Resources, 80)
	if err != nil || rl == nil {
		t.Fatalf("no local_ratelimit on the gateway's port 80: %v", err)
	}
	replay(t, rl, []rlCall{
		{at: 0, method: "GET", path: "/search?q=x", count: 11, want: join(times(10, "ok"), times(1, "limited"))},
		{at: time.Second, method: "GET", path: "/search", count: 1, want: times(1, "limited")},
		{at: 2 * time.Second, method: "GET", path: "/search", count: 11, want: join(times(10, "ok"), times(1, "limited"))},
		// The gateway bucket is full again at 1s (it holds 500); the ten
		// searches just allowed took ten of it.
		{at: 2 * time.Second, method: "GET", path: "/", count: 500, want: join(times(490, "ok"), times(10, "limited"))},
	}, 429)
}

// On mysqldb's TCP port connections are limited: 20 at once, then 5 a
// second.
func TestRateLimitSimulationTCP(t *testing.T) {
	res := runCase(t, "testdata/ratelimit-tcp.in.yaml")
	cl, err := simulate.InboundConnectionLimiter(res.Resources, 3306)
	if err != nil || cl == nil {
		t.Fatalf("no network local_ratelimit on port 3306: %v", err)
	}
	accepted := func(at time.Duration, n int) int {
		ok := 0
		for i := 0; i < n; i++ {
			if cl.Connect(at) {
				ok++
			}
		}
		return ok
	}
	for _, step := range []struct {
		at       time.Duration
		n, wantN int
	}{{0, 25, 20}, {999 * time.Millisecond, 1, 0}, {time.Second, 10, 5}, {10 * time.Second, 30, 20}} {
		if got := accepted(step.at, step.n); got != step.wantN {
			t.Errorf("%d connections at %s: %d accepted, want %d", step.n, step.at, got, step.wantN)
		}
	}
}
