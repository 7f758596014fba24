package grpcxds

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/proxystatus"
	"github.com/sailplane/sailplane/test/proxyless"
)

// TestProxylessRingHash: consistentHash on a header becomes the ring hash
// gRPC implements (RING_HASH, the only policy besides ROUND_ROBIN every
// gRPC client accepts): one user always reaches the same backend, and
// users spread over both.
func TestProxylessRingHash(t *testing.T) {
	dr := &networkingv1.DestinationRule{}
	dr.Name, dr.Namespace = "reviews", namespace
	world.Apply(t, dr, `{host: reviews, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}]}`, &dr.Spec)
	t.Cleanup(func() {
		world.Apply(t, dr, `{host: reviews, subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}, {name: v3, labels: {version: v3}}]}`, &dr.Spec)
	})
	world.ApplyVS(t, `{hosts: [reviews], http: [{route: [{destination: {host: reviews}}]}]}`)
	t.Cleanup(func() { remove(t, vsNamed("reviews")) })
	world.SetEndpoints(t, "v1", "v2")
	c := dial(t)
	world.Eventually(t, "each user sticks to one backend, users use both", func() error {
		seen := map[string]bool{}
		for u := 0; u < 16; u++ {
			got := tally(c, 10, "x-user", fmt.Sprintf("user-%d", u))
			if len(got) != 1 {
				return fmt.Errorf("user-%d reached %v", u, got)
			}
			for k := range got {
				seen[k] = true
			}
		}
		if !seen["v1"] || !seen["v2"] || len(seen) != 2 {
			return fmt.Errorf("16 users reached %v", seen)
		}
		return nil
	})
	noNacks(t)
}

// TestProxylessRouteToHostGRPCCannotReach: a DNS ServiceEntry has no
// cluster gRPC accepts; the route to it fails its calls at once (it does
// not fall through to the next route), a split keeps its reachable share,
// and the rest of the configuration keeps working.
func TestProxylessRouteToHostGRPCCannotReach(t *testing.T) {
	se := &networkingv1.ServiceEntry{}
	se.Name, se.Namespace = "external", namespace
	world.Apply(t, se, `{hosts: [api.example.com], location: MESH_EXTERNAL, resolution: DNS, ports: [{number: 443, name: https, protocol: HTTPS}]}`, &se.Spec)
	t.Cleanup(func() { remove(t, se) })
	world.ApplyVS(t, `{hosts: [reviews], http: [
	  {match: [{headers: {x-external: {exact: only}}}], route: [{destination: {host: api.example.com, port: {number: 443}}}]},
	  {match: [{headers: {x-external: {exact: some}}}], route: [{destination: {host: api.example.com, port: {number: 443}}, weight: 50}, {destination: {host: reviews, subset: v2}, weight: 50}]},
	  {route: [{destination: {host: reviews, subset: v1}}]}]}`)
	t.Cleanup(func() { remove(t, vsNamed("reviews")) })
	world.SetEndpoints(t, "v1", "v2")
	c := dial(t)
	world.Eventually(t, "the external route fails fast, the split and the default answer", func() error {
		r := call(c, "x-external", "only")
		if r.code != codes.Unavailable || r.elapsed > 2*time.Second {
			return fmt.Errorf("call to the unreachable host: %+v, want UNAVAILABLE at once", r)
		}
		if got := tally(c, 20, "x-external", "some"); got["v2"] != 20 {
			return fmt.Errorf("split with an unreachable destination: %v, want all on v2", got)
		}
		if got := tally(c, 20); got["v1"] != 20 {
			return fmt.Errorf("default route: %v", got)
		}
		return nil
	})
	noNacks(t)
}

// noNacks: grpc-go accepted every version it was sent.
func noNacks(t *testing.T) {
	t.Helper()
	proxies, err := proxystatus.Client{Addr: proxyless.MonitoringAddr, Token: world.DebugToken}.Fetch()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range proxies {
		if len(p.Nacks) > 0 {
			t.Errorf("%s rejected configuration: %v", p.NodeID, p.Nacks)
		}
	}
}

func vsNamed(name string) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{}
	vs.Name, vs.Namespace = name, namespace
	return vs
}

// remove deletes what a test applied, so the tests after it start from
// the world proxyless started.
func remove(t *testing.T, obj client.Object) {
	t.Helper()
	if err := world.K8s.Delete(context.Background(), obj); err != nil {
		t.Errorf("deleting %s: %v", obj.GetName(), err)
	}
}
