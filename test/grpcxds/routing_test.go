package grpcxds

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	_ "google.golang.org/grpc/xds" // registers the xds:/// resolver and balancers

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/test/proxyless"
)

type result struct {
	server  string
	code    codes.Code
	elapsed time.Duration
}

func dial(t *testing.T) testgrpc.TestServiceClient {
	t.Helper()
	conn, err := grpc.NewClient("xds:///reviews:9080", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return testgrpc.NewTestServiceClient(conn)
}

func call(c testgrpc.TestServiceClient, md ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if len(md) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
	}
	start := time.Now()
	resp, err := c.UnaryCall(ctx, &testgrpc.SimpleRequest{})
	r := result{code: status.Code(err), elapsed: time.Since(start)}
	if err == nil {
		r.server = resp.ServerId
	}
	return r
}

// tally makes n calls and counts answers by server id, or by status code
// for failed calls ("code:Unavailable").
func tally(c testgrpc.TestServiceClient, n int, md ...string) map[string]int {
	out := map[string]int{}
	for i := 0; i < n; i++ {
		r := call(c, md...)
		if r.code != codes.OK {
			out["code:"+r.code.String()]++
			continue
		}
		out[r.server]++
	}
	return out
}

// TestProxylessRouting walks one gRPC channel through a sequence of
// routing changes; every step changes config live, without reconnecting.
func TestProxylessRouting(t *testing.T) {
	dr := &networkingv1.DestinationRule{}
	dr.Name, dr.Namespace = "reviews", namespace
	world.Apply(t, dr, `{host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}]}`, &dr.Spec)
	world.SetEndpoints(t, "v1", "v2")
	c := dial(t)

	t.Run("default route reaches every endpoint", func(t *testing.T) {
		world.Eventually(t, "calls spread over v1 and v2", func() error {
			got := tally(c, 40)
			if got["v1"] == 0 || got["v2"] == 0 || got["v1"]+got["v2"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
	})
	t.Run("weighted split", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}, weight: 80}, {destination: {host: reviews, subset: v2}, weight: 20}]}]}`)
		world.Eventually(t, "an 80/20 split", func() error {
			got := tally(c, 500)
			if err := proxyless.Within("v1 of 500", got["v1"], 340, 460); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			return proxyless.Within("v1+v2", got["v1"]+got["v2"], 500, 500)
		})
	})
	t.Run("header match picks the subset", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{match: [{headers: {end-user: {exact: jason}}}], route: [{destination: {host: reviews, subset: v2}}]}, {route: [{destination: {host: reviews, subset: v1}}]}]}`)
		world.Eventually(t, "jason to v2, others to v1", func() error {
			jason, others := tally(c, 30, "end-user", "jason"), tally(c, 30)
			if jason["v2"] != 30 || others["v1"] != 30 {
				return fmt.Errorf("jason %v, others %v", jason, others)
			}
			return nil
		})
	})
	t.Run("fault abort returns the status for its share", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 50}}}, route: [{destination: {host: reviews, subset: v1}}]}]}`)
		world.Eventually(t, "half the calls aborted with UNAVAILABLE", func() error {
			got := tally(c, 400)
			if err := proxyless.Within("aborted of 400", got["code:Unavailable"], 140, 260); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			return proxyless.Within("answered by v1", got["v1"], 140, 260)
		})
	})
	t.Run("fault delay delays", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{fault: {delay: {fixedDelay: 300ms, percentage: {value: 100}}}, route: [{destination: {host: reviews, subset: v1}}]}]}`)
		world.Eventually(t, "calls delayed by 300ms", func() error {
			r := call(c)
			if r.code != codes.OK || r.elapsed < 300*time.Millisecond {
				return fmt.Errorf("call %+v", r)
			}
			return nil
		})
	})
	t.Run("timeout cuts a slow call", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{timeout: 200ms, route: [{destination: {host: reviews, subset: v1}}]}]}`)
		world.Eventually(t, "a 2s call cut at 200ms", func() error {
			r := call(c, "x-sleep-ms", "2000")
			if r.code != codes.DeadlineExceeded || r.elapsed > 1500*time.Millisecond {
				return fmt.Errorf("call %+v", r)
			}
			return nil
		})
	})
	t.Run("retries on UNAVAILABLE recover from a failing backend", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{retries: {attempts: 0}, route: [{destination: {host: reviews, subset: v3}}]}]}`)
		world.SetEndpoints(t, "v1", "v2", "v3")
		world.Eventually(t, "without retries the flaky backend fails half the calls", func() error {
			got := tally(c, 40)
			return proxyless.Within("failures of 40", got["code:Unavailable"], 14, 26)
		})
		world.ApplyVS(t, `{hosts: [reviews], http: [{retries: {attempts: 3, retryOn: unavailable}, route: [{destination: {host: reviews, subset: v3}}]}]}`)
		world.Eventually(t, "with retries every call succeeds", func() error {
			if got := tally(c, 40); got["v3"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
	})
	t.Run("endpoint changes apply without a reconnect", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}`)
		world.SetEndpoints(t, "v1")
		world.Eventually(t, "only v1 answers after v2 and v3 are removed", func() error {
			if got := tally(c, 30); got["v1"] != 30 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
		world.SetEndpoints(t, "v1", "v2")
		world.Eventually(t, "v2 answers again once added back", func() error {
			if got := tally(c, 40); got["v2"] == 0 || got["v1"]+got["v2"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
	})
	t.Run("a VirtualService edit changes routing live", func(t *testing.T) {
		world.ApplyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}}]}]}`)
		world.Eventually(t, "all to v1", func() error {
			if got := tally(c, 20); got["v1"] != 20 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
		world.ApplyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v2}}]}]}`)
		world.Eventually(t, "all to v2", func() error {
			if got := tally(c, 20); got["v2"] != 20 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
	})
}
