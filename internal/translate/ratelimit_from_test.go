package translate

import (
	"testing"
	"time"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// The frontend proxy's own identity, the By field of the XFCC element.
const frontendID = "spiffe://cluster.local/ns/default/sa/default"

// peerCall is a request (count copies) from a caller: over mutual TLS
// with the certificate URI peer, or over plain text when peer is "";
// xfcc is the x-forwarded-client-cert the caller sends itself.
type peerCall struct {
	at         time.Duration
	peer, xfcc string
	path       string
	count      int
	want       []string
}

func peerRequest(peer, xfcc, path string) simulate.Request {
	req := simulate.Request{Port: 9080, Method: "GET", Path: path, Authority: "frontend:9080", Headers: map[string]string{}}
	if xfcc != "" {
		req.Headers["X-Forwarded-Client-Cert"] = xfcc
	}
	if peer != "" {
		req.TLS, req.ClientCert, req.PeerURI, req.ALPN = true, true, peer, names.MTLSHTTPALPNs()
	}
	return req
}

// fromLimiter is the local_ratelimit filter of the chain a caller's
// connection reaches, with what the connection manager does to its
// headers.
type fromLimiter struct {
	rl      *simulate.RateLimiter
	forward func(simulate.Request) (simulate.Request, error)
}

func chainLimiter(t *testing.T, res *Result, req simulate.Request) fromLimiter {
	t.Helper()
	hcm, peer, err := simulate.InboundChainHCM(res.Resources, req)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := simulate.HTTPRateLimiter(hcm)
	if err != nil || rl == nil {
		t.Fatalf("no local_ratelimit filter on the chain: %v", err)
	}
	return fromLimiter{rl: rl, forward: func(r simulate.Request) (simulate.Request, error) {
		return simulate.ForwardClientCert(hcm, peer, frontendID, r)
	}}
}

func replayPeers(t *testing.T, l fromLimiter, calls []peerCall) {
	t.Helper()
	for _, c := range calls {
		var got []string
		for i := 0; i < c.count; i++ {
			req, err := l.forward(peerRequest(c.peer, c.xfcc, c.path))
			if err != nil {
				t.Fatal(err)
			}
			d, err := l.rl.Request(c.at, req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Limited {
				got = append(got, "limited")
			} else {
				got = append(got, "ok")
			}
		}
		if summary(got) != summary(c.want) {
			t.Errorf("%d× %s from %q (xfcc %q) at %s:\n got %s\nwant %s", c.count, c.path, c.peer, c.xfcc, c.at, summary(got), summary(c.want))
		}
	}
}

const (
	batchID = "spiffe://cluster.local/ns/jobs/sa/batch"
	webID   = "spiffe://cluster.local/ns/web/sa/web"
	// forged is an element claiming batch's identity.
	forged = "By=" + frontendID + ";Hash=ab;URI=" + batchID
)

// Principal batch has 3 tokens on /api; other callers and other paths
// are not counted in it, and a caller claiming batch in its own XFCC is
// counted as itself.
func TestRateLimitSimulationFromPrincipal(t *testing.T) {
	res := runCase(t, "testdata/ratelimit-from.in.yaml")
	l := chainLimiter(t, res, peerRequest(batchID, "", "/"))
	replayPeers(t, l, []peerCall{
		{at: 0, peer: batchID, path: "/api/jobs", count: 4, want: join(times(3, "ok"), times(1, "limited"))},
		{at: 0, peer: batchID, path: "/status", count: 2, want: times(2, "ok")},
		{at: 0, peer: webID, path: "/api/jobs", count: 5, want: times(5, "ok")},
		// web's own XFCC claims batch; its sidecar-less client sent it
		// over mutual TLS, and the header still ends with web's element.
		{at: 0, peer: webID, xfcc: forged, path: "/api/jobs", count: 5, want: times(5, "ok")},
		{at: time.Second, peer: batchID, path: "/api/jobs", count: 2, want: []string{"ok", "limited"}},
	})
}

// Plain text has no peer: Envoy drops the caller's XFCC, so neither the
// principal rule nor the any-peer rule (50 tokens) counts it.
func TestRateLimitSimulationFromPlaintext(t *testing.T) {
	res := runCase(t, "testdata/ratelimit-from.in.yaml")
	l := chainLimiter(t, res, peerRequest("", "", "/"))
	replayPeers(t, l, []peerCall{
		{at: 0, xfcc: forged, path: "/api/jobs", count: 60, want: times(60, "ok")},
		{at: 0, path: "/api/jobs", count: 60, want: times(60, "ok")},
	})
	// The same forged header over mutual TLS from batch itself: counted
	// once, as batch.
	m := chainLimiter(t, res, peerRequest(batchID, "", "/"))
	replayPeers(t, m, []peerCall{{at: 0, peer: batchID, xfcc: forged, path: "/api", count: 4, want: join(times(3, "ok"), times(1, "limited"))}})
}

// Namespaces team-* and team-a share the team bucket (5); a team-a caller
// matches both values but takes one token, and the any-peer bucket (50,
// +10 a second; it fills faster, so Envoy takes from it last) counts
// every caller the team bucket lets through.
func TestRateLimitSimulationFromNamespace(t *testing.T) {
	res := runCase(t, "testdata/ratelimit-from.in.yaml")
	teamA := "spiffe://cluster.local/ns/team-a/sa/app"
	teamB := "spiffe://cluster.local/ns/team-b/sa/app"
	l := chainLimiter(t, res, peerRequest(teamA, "", "/"))
	replayPeers(t, l, []peerCall{
		{at: 0, peer: teamA, path: "/", count: 6, want: join(times(5, "ok"), times(1, "limited"))},
		{at: time.Second, peer: teamB, path: "/", count: 2, want: []string{"ok", "limited"}},
		// "teams" is no team-* namespace: the any-peer bucket alone, full
		// again at 1s (45+10, capped at 50) less team-b's one.
		{at: time.Second, peer: "spiffe://cluster.local/ns/teams/sa/app", path: "/", count: 50, want: join(times(49, "ok"), times(1, "limited"))},
	})
}

// The global rule sends {sailplane_rule: batch} for batch's /api requests
// only: not for a forged header, not over plain text.
func TestRateLimitSimulationFromGlobal(t *testing.T) {
	res := runCase(t, "testdata/ratelimit-from.in.yaml")
	filter := names.GlobalRateLimitFilter("rls")
	for _, tc := range []struct {
		name       string
		peer, xfcc string
		want       int
	}{
		{"batch", batchID, "", 1},
		{"web claiming batch", webID, forged, 0},
		{"plain text claiming batch", "", forged, 0},
	} {
		req := peerRequest(tc.peer, tc.xfcc, "/api/jobs")
		hcm, peer, err := simulate.InboundChainHCM(res.Resources, req)
		if err != nil {
			t.Fatal(err)
		}
		fwd, err := simulate.ForwardClientCert(hcm, peer, frontendID, req)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := simulate.GlobalDescriptors(hcm, fwd)
		if err != nil {
			t.Fatal(err)
		}
		if got := ds[filter]; len(got) != tc.want || (tc.want == 1 && got[0] != names.RateLimitRuleKey+"=batch") {
			t.Errorf("%s: descriptors %v, want %d of %s=batch", tc.name, got, tc.want, names.RateLimitRuleKey)
		}
	}
}

// On the gateway's ISTIO_MUTUAL server the partner's client certificate
// is counted (2 tokens); a client claiming partner in its own XFCC is
// counted as itself (SANITIZE_SET replaces the header), and the
// plain-text server never counts anyone.
func TestRateLimitSimulationFromGateway(t *testing.T) {
	res := runCase(t, "testdata/ratelimit-gateway-from.in.yaml")
	const partner = "spiffe://cluster.local/ns/partner/sa/client"
	const gatewayID = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway"
	claim := "Hash=ab;URI=" + partner
	run := func(port uint32, tls bool, calls []peerCall) {
		t.Helper()
		hcm, peer, err := simulate.GatewayChainHCM(res.Resources, port, tls, "frontend.example.com", tls)
		if err != nil {
			t.Fatal(err)
		}
		rl, err := simulate.HTTPRateLimiter(hcm)
		if err != nil || rl == nil {
			t.Fatalf("no local_ratelimit on the gateway's port %d: %v", port, err)
		}
		replayPeers(t, fromLimiter{rl: rl, forward: func(r simulate.Request) (simulate.Request, error) {
			return simulate.ForwardClientCert(hcm, peer, gatewayID, r)
		}}, calls)
	}
	run(443, true, []peerCall{
		{at: 0, peer: partner, path: "/", count: 3, want: []string{"ok", "ok", "limited"}},
		{at: 0, peer: webID, xfcc: claim, path: "/", count: 5, want: times(5, "ok")},
	})
	run(80, false, []peerCall{{at: 0, xfcc: claim, path: "/", count: 5, want: times(5, "ok")}})
}
