package grpcxds

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	_ "google.golang.org/grpc/xds" // registers the xds:/// resolver and balancers
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
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

// eventually retries check until it passes: configuration reaches the
// client asynchronously.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v\ncontrol plane's view of the client:\n%s", what, err, debugState())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// applyObj creates obj or updates it with spec; the status writer bumps
// resourceVersion concurrently, so updates retry on conflict.
func applyObj(t *testing.T, obj client.Object, spec string, into any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(spec), into); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := obj.DeepCopyObject().(client.Object)
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), cur); err != nil {
			return k8s.Create(ctx, obj)
		}
		obj.SetResourceVersion(cur.GetResourceVersion())
		return k8s.Update(ctx, obj)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func applyVS(t *testing.T, spec string) {
	t.Helper()
	vs := &networkingv1.VirtualService{}
	vs.Name, vs.Namespace = "reviews", namespace
	applyObj(t, vs, spec, &vs.Spec)
}

func setEndpoints(t *testing.T, versions ...string) {
	t.Helper()
	es := reviewsSlice(versions...)
	cur := reviewsSlice()
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(es), cur); err != nil {
		t.Fatal(err)
	}
	es.ResourceVersion = cur.ResourceVersion
	if err := k8s.Update(context.Background(), es); err != nil {
		t.Fatal(err)
	}
}

func within(name string, got, lo, hi int) error {
	if got < lo || got > hi {
		return fmt.Errorf("%s: %d, want %d..%d", name, got, lo, hi)
	}
	return nil
}

// TestProxylessRouting walks one gRPC channel through a sequence of
// routing changes; every step changes config live, without reconnecting.
func TestProxylessRouting(t *testing.T) {
	dr := &networkingv1.DestinationRule{}
	dr.Name, dr.Namespace = "reviews", namespace
	applyObj(t, dr, `{host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}]}`, &dr.Spec)
	setEndpoints(t, "v1", "v2")
	c := dial(t)

	t.Run("default route reaches every endpoint", func(t *testing.T) {
		eventually(t, "calls spread over v1 and v2", func() error {
			got := tally(c, 40)
			if got["v1"] == 0 || got["v2"] == 0 || got["v1"]+got["v2"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
	})
	t.Run("weighted split", func(t *testing.T) {
		applyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}, weight: 80}, {destination: {host: reviews, subset: v2}, weight: 20}]}]}`)
		eventually(t, "an 80/20 split", func() error {
			got := tally(c, 500)
			if err := within("v1 of 500", got["v1"], 340, 460); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			return within("v1+v2", got["v1"]+got["v2"], 500, 500)
		})
	})
	t.Run("header match picks the subset", func(t *testing.T) {
		applyVS(t, `{hosts: [reviews], http: [{match: [{headers: {end-user: {exact: jason}}}], route: [{destination: {host: reviews, subset: v2}}]}, {route: [{destination: {host: reviews, subset: v1}}]}]}`)
		eventually(t, "jason to v2, others to v1", func() error {
			jason, others := tally(c, 30, "end-user", "jason"), tally(c, 30)
			if jason["v2"] != 30 || others["v1"] != 30 {
				return fmt.Errorf("jason %v, others %v", jason, others)
			}
			return nil
		})
	})
	t.Run("fault abort returns the status for its share", func(t *testing.T) {
		applyVS(t, `{hosts: [reviews], http: [{fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 50}}}, route: [{destination: {host: reviews, subset: v1}}]}]}`)
		eventually(t, "half the calls aborted with UNAVAILABLE", func() error {
			got := tally(c, 400)
			if err := within("aborted of 400", got["code:Unavailable"], 140, 260); err != nil {
				return fmt.Errorf("%v (answers %v)", err, got)
			}
			return within("answered by v1", got["v1"], 140, 260)
		})
	})
	t.Run("fault delay delays", func(t *testing.T) {
		applyVS(t, `{hosts: [reviews], http: [{fault: {delay: {fixedDelay: 300ms, percentage: {value: 100}}}, route: [{destination: {host: reviews, subset: v1}}]}]}`)
		eventually(t, "calls delayed by 300ms", func() error {
			r := call(c)
			if r.code != codes.OK || r.elapsed < 300*time.Millisecond {
				return fmt.Errorf("call %+v", r)
			}
			return nil
		})
	})
	t.Run("timeout cuts a slow call", func(t *testing.T) {
		applyVS(t, `{hosts: [reviews], http: [{timeout: 200ms, route: [{destination: {host: reviews, subset: v1}}]}]}`)
		eventually(t, "a 2s call cut at 200ms", func() error {
			r := call(c, "x-sleep-ms", "2000")
			if r.code != codes.DeadlineExceeded || r.elapsed > 1500*time.Millisecond {
				return fmt.Errorf("call %+v", r)
			}
			return nil
		})
	})
	t.Run("retries on UNAVAILABLE recover from a failing backend", func(t *testing.T) {
		applyVS(t, `{hosts: [reviews], http: [{retries: {attempts: 0}, route: [{destination: {host: reviews, subset: v3}}]}]}`)
		setEndpoints(t, "v1", "v2", "v3")
		eventually(t, "without retries the flaky backend fails half the calls", func() error {
			got := tally(c, 40)
			return within("failures of 40", got["code:Unavailable"], 14, 26)
		})
		applyVS(t, `{hosts: [reviews], http: [{retries: {attempts: 3, retryOn: unavailable}, route: [{destination: {host: reviews, subset: v3}}]}]}`)
		eventually(t, "with retries every call succeeds", func() error {
			if got := tally(c, 40); got["v3"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
	})
	t.Run("endpoint changes apply without a reconnect", func(t *testing.T) {
		applyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}`)
		setEndpoints(t, "v1")
		eventually(t, "only v1 answers after v2 and v3 are removed", func() error {
			if got := tally(c, 30); got["v1"] != 30 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
		setEndpoints(t, "v1", "v2")
		eventually(t, "v2 answers again once added back", func() error {
			if got := tally(c, 40); got["v2"] == 0 || got["v1"]+got["v2"] != 40 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
	})
	t.Run("a VirtualService edit changes routing live", func(t *testing.T) {
		applyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v1}}]}]}`)
		eventually(t, "all to v1", func() error {
			if got := tally(c, 20); got["v1"] != 20 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
		applyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews, subset: v2}}]}]}`)
		eventually(t, "all to v2", func() error {
			if got := tally(c, 20); got["v2"] != 20 {
				return fmt.Errorf("answers %v", got)
			}
			return nil
		})
	})
}

// debugState is what the control plane says about the client, for failure
// messages.
func debugState() string {
	var out strings.Builder
	for _, path := range []string{"/debug/proxy-status", "/debug/config_dump?proxy=client.default"} {
		req, err := http.NewRequest(http.MethodGet, "http://"+monitoringAddr+path, nil)
		if err != nil {
			fmt.Fprintf(&out, "%s: %v\n", path, err)
			continue
		}
		req.Header.Set("Authorization", "Bearer "+debugToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintf(&out, "%s: %v\n", path, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(b) > 6000 {
			b = append(b[:6000], "..."...)
		}
		fmt.Fprintf(&out, "%s:\n%s\n", path, b)
	}
	return out.String()
}
