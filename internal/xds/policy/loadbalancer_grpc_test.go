package policy

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func grpcOptions() Options {
	o := testOptions()
	o.GRPC = true
	return o
}

func ring(size uint64) *clusterv3.Cluster {
	return &clusterv3.Cluster{LbConfig: &clusterv3.Cluster_RingHashLbConfig_{
		RingHashLbConfig: &clusterv3.Cluster_RingHashLbConfig{MinimumRingSize: wrapperspb.UInt64(size)},
	}}
}

const headersOnly = "does not apply: proxyless gRPC clients hash on headers only (httpHeaderName); calls spread at random"

// gRPC accepts ROUND_ROBIN and RING_HASH only (C-core and grpc-js NACK the
// whole CDS response otherwise): everything maps onto those two, and what
// does not fit is reported.
var grpcLBCases = []lbCase{
	{name: "unset is istiod's ROUND_ROBIN, not Envoy's LEAST_REQUEST", wantLB: clusterv3.Cluster_ROUND_ROBIN},
	{name: "UNSPECIFIED", lb: lb("UNSPECIFIED"), wantLB: clusterv3.Cluster_ROUND_ROBIN},
	{name: "ROUND_ROBIN", lb: lb("ROUND_ROBIN"), wantLB: clusterv3.Cluster_ROUND_ROBIN},
	{
		name: "LEAST_REQUEST falls back", lb: lb("LEAST_REQUEST"), wantLB: clusterv3.Cluster_ROUND_ROBIN,
		wantErrs: []FieldError{fe(lbField+".simple", "LEAST_REQUEST does not apply: "+grpcLB+"; using ROUND_ROBIN")},
	},
	{
		name: "RANDOM falls back", lb: lb("RANDOM"), wantLB: clusterv3.Cluster_ROUND_ROBIN,
		wantErrs: []FieldError{fe(lbField+".simple", "RANDOM does not apply: "+grpcLB+"; using ROUND_ROBIN")},
	},
	{
		name: "PASSTHROUGH stays an EDS cluster", lb: lb("PASSTHROUGH"), wantLB: clusterv3.Cluster_ROUND_ROBIN,
		wantErrs: []FieldError{fe(lbField+".simple", "PASSTHROUGH does not apply: "+grpcLB+"; using ROUND_ROBIN")},
	},
	{
		name:     "warm-up has no slow start to go to",
		lb:       &networkingv1.LoadBalancerSettings{Simple: "ROUND_ROBIN", Warmup: &networkingv1.WarmupConfiguration{Duration: "90s"}},
		wantLB:   clusterv3.Cluster_ROUND_ROBIN,
		wantErrs: []FieldError{fe(lbField+".warmup", "does not apply: "+grpcLB+", without slow start")},
	},
	{
		name:    "a header hash is a ring",
		lb:      &networkingv1.LoadBalancerSettings{ConsistentHash: &networkingv1.ConsistentHashLB{HTTPHeaderName: "x-user", MinimumRingSize: 4096}},
		wantLB:  clusterv3.Cluster_RING_HASH,
		wantCfg: ring(4096),
	},
	{
		name:     "Maglev becomes a ring",
		lb:       &networkingv1.LoadBalancerSettings{ConsistentHash: &networkingv1.ConsistentHashLB{HTTPHeaderName: "x-user", Maglev: &networkingv1.MagLev{TableSize: 65537}}},
		wantLB:   clusterv3.Cluster_RING_HASH,
		wantCfg:  ring(1024),
		wantErrs: []FieldError{fe(lbField+".consistentHash.maglev", "does not apply: "+grpcLB+"; using a ring hash")},
	},
	{
		name:     "a cookie is no key for gRPC",
		lb:       &networkingv1.LoadBalancerSettings{ConsistentHash: &networkingv1.ConsistentHashLB{HTTPCookie: &networkingv1.HTTPCookie{Name: "s"}}},
		wantLB:   clusterv3.Cluster_RING_HASH,
		wantCfg:  ring(1024),
		wantErrs: []FieldError{fe(lbField+".consistentHash.httpCookie", headersOnly)},
	},
	{
		name:     "nor is the source address",
		lb:       &networkingv1.LoadBalancerSettings{ConsistentHash: &networkingv1.ConsistentHashLB{UseSourceIP: true}},
		wantLB:   clusterv3.Cluster_RING_HASH,
		wantCfg:  ring(1024),
		wantErrs: []FieldError{fe(lbField+".consistentHash.useSourceIp", headersOnly)},
	},
}

func TestGRPCLoadBalancer(t *testing.T) {
	for _, tt := range grpcLBCases {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := applyTo(t, withLB(tt.lb), grpcOptions())
			wantErrors(t, errs, tt.wantErrs...)
			if c.LbPolicy != tt.wantLB {
				t.Errorf("lb_policy %v, want %v", c.LbPolicy, tt.wantLB)
			}
			if c.GetType() != clusterv3.Cluster_EDS {
				t.Errorf("type %v, want EDS", c.GetType())
			}
			want := tt.wantCfg
			if want == nil {
				want = &clusterv3.Cluster{}
			}
			protoEqual(t, "lb_config", &clusterv3.Cluster{LbConfig: c.LbConfig}, want)
		})
	}
}
