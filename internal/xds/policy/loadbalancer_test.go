package policy

import (
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func withLB(l *networkingv1.LoadBalancerSettings) *networkingv1.TrafficPolicy {
	return &networkingv1.TrafficPolicy{LoadBalancer: l}
}

type lbCase struct {
	name     string
	lb       *networkingv1.LoadBalancerSettings
	wantLB   clusterv3.Cluster_LbPolicy
	wantCfg  *clusterv3.Cluster // only lb_config set
	wantErrs []FieldError
}

var lbCases = []lbCase{
	{name: "unset is Istio's LEAST_REQUEST", wantLB: clusterv3.Cluster_LEAST_REQUEST},
	{name: "UNSPECIFIED", lb: lb("UNSPECIFIED"), wantLB: clusterv3.Cluster_LEAST_REQUEST},
	{name: "ROUND_ROBIN", lb: lb("ROUND_ROBIN"), wantLB: clusterv3.Cluster_ROUND_ROBIN},
	{name: "LEAST_REQUEST", lb: lb("LEAST_REQUEST"), wantLB: clusterv3.Cluster_LEAST_REQUEST},
	{name: "LEAST_CONN is LEAST_REQUEST", lb: lb("LEAST_CONN"), wantLB: clusterv3.Cluster_LEAST_REQUEST},
	{name: "RANDOM", lb: lb("RANDOM"), wantLB: clusterv3.Cluster_RANDOM},
	{
		name: "unknown falls back to the default", lb: lb("FASTEST"), wantLB: clusterv3.Cluster_LEAST_REQUEST,
		wantErrs: []FieldError{fe(lbField+".simple", `unknown value "FASTEST"; using LEAST_REQUEST`)},
	},
	{
		name:   "warmup on round robin",
		lb:     &networkingv1.LoadBalancerSettings{Simple: "ROUND_ROBIN", Warmup: &networkingv1.WarmupConfiguration{Duration: "90s", MinimumPercent: ptr(25.0), Aggression: ptr(2.0)}},
		wantLB: clusterv3.Cluster_ROUND_ROBIN,
		wantCfg: &clusterv3.Cluster{LbConfig: &clusterv3.Cluster_RoundRobinLbConfig_{RoundRobinLbConfig: &clusterv3.Cluster_RoundRobinLbConfig{
			SlowStartConfig: &clusterv3.Cluster_SlowStartConfig{
				SlowStartWindow:  durationpb.New(90 * time.Second),
				Aggression:       &corev3.RuntimeDouble{DefaultValue: 2, RuntimeKey: "sailplane.slow_start.aggression"},
				MinWeightPercent: &typev3.Percent{Value: 25},
			},
		}}},
	},
	{
		name:   "warmup defaults on the default balancer",
		lb:     &networkingv1.LoadBalancerSettings{Warmup: &networkingv1.WarmupConfiguration{Duration: "1m"}},
		wantLB: clusterv3.Cluster_LEAST_REQUEST,
		wantCfg: &clusterv3.Cluster{LbConfig: &clusterv3.Cluster_LeastRequestLbConfig_{LeastRequestLbConfig: &clusterv3.Cluster_LeastRequestLbConfig{
			SlowStartConfig: &clusterv3.Cluster_SlowStartConfig{
				SlowStartWindow:  durationpb.New(time.Minute),
				Aggression:       &corev3.RuntimeDouble{DefaultValue: 1, RuntimeKey: "sailplane.slow_start.aggression"},
				MinWeightPercent: &typev3.Percent{Value: 10},
			},
		}}},
	},
	{
		name:   "deprecated warmupDurationSecs",
		lb:     &networkingv1.LoadBalancerSettings{Simple: "LEAST_CONN", WarmupDurationSecs: dur("45s")},
		wantLB: clusterv3.Cluster_LEAST_REQUEST,
		wantCfg: &clusterv3.Cluster{LbConfig: &clusterv3.Cluster_LeastRequestLbConfig_{LeastRequestLbConfig: &clusterv3.Cluster_LeastRequestLbConfig{
			SlowStartConfig: &clusterv3.Cluster_SlowStartConfig{SlowStartWindow: durationpb.New(45 * time.Second)},
		}}},
	},
	{
		name:   "warmup is ignored by RANDOM, as in Istio",
		lb:     &networkingv1.LoadBalancerSettings{Simple: "RANDOM", WarmupDurationSecs: dur("45s")},
		wantLB: clusterv3.Cluster_RANDOM,
	},
	{
		name:   "bad warmup values keep the defaults",
		lb:     &networkingv1.LoadBalancerSettings{Simple: "ROUND_ROBIN", Warmup: &networkingv1.WarmupConfiguration{Duration: "1m", MinimumPercent: ptr(120.0), Aggression: ptr(0.0)}},
		wantLB: clusterv3.Cluster_ROUND_ROBIN,
		wantCfg: &clusterv3.Cluster{LbConfig: &clusterv3.Cluster_RoundRobinLbConfig_{RoundRobinLbConfig: &clusterv3.Cluster_RoundRobinLbConfig{
			SlowStartConfig: &clusterv3.Cluster_SlowStartConfig{
				SlowStartWindow:  durationpb.New(time.Minute),
				Aggression:       &corev3.RuntimeDouble{DefaultValue: 1, RuntimeKey: "sailplane.slow_start.aggression"},
				MinWeightPercent: &typev3.Percent{Value: 10},
			},
		}}},
		wantErrs: []FieldError{
			fe(lbField+".warmup.aggression", "must be a positive number, got 0"),
			fe(lbField+".warmup.minimumPercent", "must be between 0 and 100, got 120"),
		},
	},
	{
		name:     "invalid warmup duration drops slow start",
		lb:       &networkingv1.LoadBalancerSettings{Simple: "ROUND_ROBIN", Warmup: &networkingv1.WarmupConfiguration{Duration: "later"}},
		wantLB:   clusterv3.Cluster_ROUND_ROBIN,
		wantErrs: []FieldError{fe(lbField+".warmup.duration", `invalid duration "later"`)},
	},
}

func TestLoadBalancer(t *testing.T) {
	for _, tt := range lbCases {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := applyTo(t, withLB(tt.lb), testOptions())
			wantErrors(t, errs, tt.wantErrs...)
			if c.LbPolicy != tt.wantLB {
				t.Errorf("lb_policy %v, want %v", c.LbPolicy, tt.wantLB)
			}
			want := tt.wantCfg
			if want == nil {
				want = &clusterv3.Cluster{}
			}
			protoEqual(t, "lb_config", &clusterv3.Cluster{LbConfig: c.LbConfig}, want)
		})
	}
}

func TestPassthrough(t *testing.T) {
	c := applyOK(t, withLB(lb("PASSTHROUGH")), testOptions())
	if c.GetType() != clusterv3.Cluster_ORIGINAL_DST || c.LbPolicy != clusterv3.Cluster_CLUSTER_PROVIDED {
		t.Errorf("type %v lb %v, want ORIGINAL_DST CLUSTER_PROVIDED", c.GetType(), c.LbPolicy)
	}
	if c.EdsClusterConfig != nil || c.LoadAssignment != nil {
		t.Errorf("endpoint discovery left behind: %v %v", c.EdsClusterConfig, c.LoadAssignment)
	}
}

// PASSTHROUGH on a DNS cluster drops its endpoints: ORIGINAL_DST has none.
func TestPassthroughDropsLoadAssignment(t *testing.T) {
	c := &clusterv3.Cluster{
		Name:                 "outbound|443||api.example.com",
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS},
		LoadAssignment:       &endpointv3.ClusterLoadAssignment{ClusterName: "outbound|443||api.example.com"},
	}
	wantErrors(t, Apply(c, withLB(lb("PASSTHROUGH")), testOptions()))
	mustBeValid(t, c)
	if c.GetType() != clusterv3.Cluster_ORIGINAL_DST || c.LoadAssignment != nil {
		t.Errorf("type %v, load assignment %v", c.GetType(), c.LoadAssignment)
	}
}

// A passthrough service's cluster is ORIGINAL_DST already; Envoy allows
// only CLUSTER_PROVIDED there, whatever the rule asks for.
func TestOriginalDstClusterStaysClusterProvided(t *testing.T) {
	for _, l := range []*networkingv1.LoadBalancerSettings{nil, lb("ROUND_ROBIN"), {ConsistentHash: &networkingv1.ConsistentHashLB{UseSourceIP: true}}} {
		c := &clusterv3.Cluster{
			Name:                 "PassthroughLike",
			ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_ORIGINAL_DST},
			LbPolicy:             clusterv3.Cluster_CLUSTER_PROVIDED,
		}
		wantErrors(t, Apply(c, withLB(l), testOptions()))
		mustBeValid(t, c)
		if c.LbPolicy != clusterv3.Cluster_CLUSTER_PROVIDED || c.LbConfig != nil {
			t.Errorf("lb %+v: got %v %v", l, c.LbPolicy, c.LbConfig)
		}
	}
}

func TestConsistentHash(t *testing.T) {
	const errField = "trafficPolicy.loadBalancer.consistentHash"
	header := func(ch networkingv1.ConsistentHashLB) *networkingv1.LoadBalancerSettings {
		ch.HTTPHeaderName = "x-user"
		return &networkingv1.LoadBalancerSettings{ConsistentHash: &ch}
	}
	ring := func(n uint64) *clusterv3.Cluster {
		return &clusterv3.Cluster{LbConfig: &clusterv3.Cluster_RingHashLbConfig_{
			RingHashLbConfig: &clusterv3.Cluster_RingHashLbConfig{MinimumRingSize: wrapperspb.UInt64(n)},
		}}
	}
	tests := []struct {
		name     string
		lb       *networkingv1.LoadBalancerSettings
		wantLB   clusterv3.Cluster_LbPolicy
		wantCfg  *clusterv3.Cluster // only lb_config set
		wantErrs []FieldError
	}{
		{name: "ring hash with Istio's default size", lb: header(networkingv1.ConsistentHashLB{}), wantLB: clusterv3.Cluster_RING_HASH, wantCfg: ring(1024)},
		{name: "ringHash.minimumRingSize", lb: header(networkingv1.ConsistentHashLB{RingHash: &networkingv1.RingHash{MinimumRingSize: 4096}}), wantLB: clusterv3.Cluster_RING_HASH, wantCfg: ring(4096)},
		{name: "deprecated minimumRingSize", lb: header(networkingv1.ConsistentHashLB{MinimumRingSize: 2048}), wantLB: clusterv3.Cluster_RING_HASH, wantCfg: ring(2048)},
		{
			name: "ring too large for Envoy", lb: header(networkingv1.ConsistentHashLB{RingHash: &networkingv1.RingHash{MinimumRingSize: 9000000}}),
			wantLB: clusterv3.Cluster_RING_HASH, wantCfg: ring(1024),
			wantErrs: []FieldError{fe(errField+".ringHash.minimumRingSize", "must be between 0 and 8388608, got 9000000")},
		},
		{
			name: "maglev with a prime table", lb: header(networkingv1.ConsistentHashLB{Maglev: &networkingv1.MagLev{TableSize: 65537}}),
			wantLB:  clusterv3.Cluster_MAGLEV,
			wantCfg: &clusterv3.Cluster{LbConfig: &clusterv3.Cluster_MaglevLbConfig_{MaglevLbConfig: &clusterv3.Cluster_MaglevLbConfig{TableSize: wrapperspb.UInt64(65537)}}},
		},
		{name: "maglev with Envoy's default table", lb: header(networkingv1.ConsistentHashLB{Maglev: &networkingv1.MagLev{}}), wantLB: clusterv3.Cluster_MAGLEV},
		{
			name: "maglev table must be prime", lb: header(networkingv1.ConsistentHashLB{Maglev: &networkingv1.MagLev{TableSize: 65536}}),
			wantLB:   clusterv3.Cluster_MAGLEV,
			wantErrs: []FieldError{fe(errField+".maglev.tableSize", "must be a prime number no larger than 5000011, got 65536")},
		},
		{
			name: "no hash key", lb: &networkingv1.LoadBalancerSettings{ConsistentHash: &networkingv1.ConsistentHashLB{}},
			wantLB: clusterv3.Cluster_RING_HASH, wantCfg: ring(1024),
			wantErrs: []FieldError{fe(errField, "one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName is required")},
		},
		{
			name: "bad cookie ttl",
			lb: &networkingv1.LoadBalancerSettings{ConsistentHash: &networkingv1.ConsistentHashLB{
				HTTPCookie: &networkingv1.HTTPCookie{Name: "user", TTL: ptr(networkingv1.Timeout("forever"))},
			}},
			wantLB: clusterv3.Cluster_RING_HASH, wantCfg: ring(1024),
			wantErrs: []FieldError{fe(errField+".httpCookie.ttl", `invalid duration "forever"`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := applyTo(t, withLB(tt.lb), testOptions())
			wantErrors(t, errs, tt.wantErrs...)
			if c.LbPolicy != tt.wantLB {
				t.Errorf("lb_policy %v, want %v", c.LbPolicy, tt.wantLB)
			}
			want := tt.wantCfg
			if want == nil {
				want = &clusterv3.Cluster{}
			}
			protoEqual(t, "lb_config", &clusterv3.Cluster{LbConfig: c.LbConfig}, want)
		})
	}
}
