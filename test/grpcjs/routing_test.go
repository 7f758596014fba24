package grpcjs

import (
	"fmt"
	"testing"
	"time"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/test/proxyless"
)

// TestGRPCJSRouting walks grpc-js-xds through the routing features Istio
// users rely on, the same sequence test/grpcxds runs with grpc-go. One
// long-lived channel sees every change live; fresh one-shot channels check
// that a new client gets the same answers from the start. Both read the
// same bootstrap, so while a one-shot client runs, one node id has two
// streams asking for different clusters, as two processes of one pod
// would. After every step the client must have ACKed everything it was
// sent.
func TestGRPCJSRouting(t *testing.T) {
	if noNode != "" {
		t.Skip(noNode)
	}
	dr := &networkingv1.DestinationRule{}
	dr.Name, dr.Namespace = "reviews", namespace
	world.Apply(t, dr, `{host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}]}`, &dr.Spec)
	world.SetEndpoints(t, "v1", "v2")

	t.Run("baseline: a fresh channel reaches every endpoint", func(t *testing.T) {
		world.Eventually(t, "calls spread over v1 and v2", func() error {
			got := tally(oneShot(t, 40))
			if got["v1"] == 0 || got["v2"] == 0 || got["v1"]+got["v2"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
		// The one-shot client has gone; its NACKs would still count.
		noNacks(t)
	})

	c := startChannel(t)
	t.Run("baseline on the long-lived channel", func(t *testing.T) {
		world.Eventually(t, "calls spread over v1 and v2", func() error {
			got := tally(c.calls(t, 40))
			if got["v1"] == 0 || got["v2"] == 0 || got["v1"]+got["v2"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
		allAcked(t)
	})
	t.Run("weighted split 80/20", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}, weight: 80}, {destination: {host: reviews, subset: v2}, weight: 20}]}]}`)
		// 200 calls at 80%: mean 160, standard deviation 5.7; 130..190 is
		// over five of them either side, while 50/50 (100) is far outside.
		world.Eventually(t, "an 80/20 split", func() error {
			got := tally(c.calls(t, 200))
			if err := proxyless.Within("v1 of 200", got["v1"], 130, 190); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			if err := proxyless.Within("v1+v2", got["v1"]+got["v2"], 200, 200); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			return nil
		})
		allAcked(t)
	})
	t.Run("header match picks the subset", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{match: [{headers: {end-user: {exact: jason}}}], route: [{destination: {host: reviews, subset: v2}}]}, {route: [{destination: {host: reviews, subset: v1}}]}]}`)
		world.Eventually(t, "jason to v2, others to v1", func() error {
			jason, others := tally(c.calls(t, 30, "end-user", "jason")), tally(c.calls(t, 30, "end-user", "json"))
			if jason["v2"] != 30 || others["v1"] != 30 {
				return fmt.Errorf("jason %v, others %v", jason, others)
			}
			return nil
		})
		if got := tally(oneShot(t, 20, "end-user", "jason")); got["v2"] != 20 {
			t.Errorf("a fresh channel with end-user: jason got %v, want all v2", got)
		}
		allAcked(t)
	})
	t.Run("fault abort returns its status for its share", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{fault: {abort: {grpcStatus: PERMISSION_DENIED, percentage: {value: 50}}}, route: [{destination: {host: reviews, subset: v1}}]}]}`)
		world.Eventually(t, "half the calls aborted with PERMISSION_DENIED", func() error {
			got := tally(c.calls(t, 200))
			if err := proxyless.Within("aborted of 200", got["code:PERMISSION_DENIED"], 70, 130); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			if err := proxyless.Within("aborted+v1", got["code:PERMISSION_DENIED"]+got["v1"], 200, 200); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			return nil
		})
		allAcked(t)
	})
	t.Run("fault delay delays every call", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{fault: {delay: {fixedDelay: 300ms, percentage: {value: 100}}}, route: [{destination: {host: reviews, subset: v2}}]}]}`)
		world.Eventually(t, "calls to v2 delayed by 300ms", func() error {
			for _, r := range c.calls(t, 5) {
				if r.Server != "v2" || r.elapsed() < 300*time.Millisecond {
					return fmt.Errorf("call %+v", r)
				}
			}
			return nil
		})
		allAcked(t)
	})
	t.Run("route timeout cuts a slow call", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{timeout: 200ms, route: [{destination: {host: reviews, subset: v1}}]}]}`)
		// The client's own deadline is 10s and the backend answers after
		// 2s, so DEADLINE_EXCEEDED can only be the route's timeout.
		world.Eventually(t, "a 2s call cut by the 200ms route timeout", func() error {
			rs := c.calls(t, 1, "x-sleep-ms", "2000")
			if rs[0].Status != "DEADLINE_EXCEEDED" {
				return fmt.Errorf("call %+v", rs[0])
			}
			return nil
		})
		if got := tally(c.calls(t, 10)); got["v1"] != 10 {
			t.Errorf("fast calls under the timeout: %v, want all v1", got)
		}
		allAcked(t)
	})
	t.Run("retries recover from a flaky backend", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{retries: {attempts: 0}, route: [{destination: {host: reviews, subset: v3}}]}]}`)
		world.SetEndpoints(t, "v1", "v2", "v3")
		// v3 fails every other call it gets, and only this client calls it.
		world.Eventually(t, "without retries the flaky backend fails half the calls", func() error {
			got := tally(c.calls(t, 40))
			if err := proxyless.Within("UNAVAILABLE of 40", got["code:UNAVAILABLE"], 19, 21); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			if err := proxyless.Within("UNAVAILABLE+v3", got["code:UNAVAILABLE"]+got["v3"], 40, 40); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			return nil
		})
		world.ApplyVS(t, `{hosts: [reviews], http: [{retries: {attempts: 3, retryOn: unavailable}, route: [{destination: {host: reviews, subset: v3}}]}]}`)
		world.Eventually(t, "with retries every call succeeds", func() error {
			if got := tally(c.calls(t, 40)); got["v3"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
		allAcked(t)
	})
	t.Run("live endpoint change", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}`)
		world.SetEndpoints(t, "v1")
		world.Eventually(t, "only v1 answers once v2 and v3 are removed", func() error {
			if got := tally(c.calls(t, 30)); got["v1"] != 30 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
		world.SetEndpoints(t, "v1", "v2")
		world.Eventually(t, "the new endpoint v2 starts receiving calls", func() error {
			if got := tally(c.calls(t, 40)); got["v2"] == 0 || got["v1"]+got["v2"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
		allAcked(t)
	})
}
