package policy

import (
	"reflect"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func TestLocalityPlanAndClusterConfig(t *testing.T) {
	const at = "trafficPolicy.loadBalancer.localityLbSetting"
	od := &networkingv1.OutlierDetection{Consecutive5xxErrors: ptr(int32(3))}
	dist := []networkingv1.LocalityDistribute{{From: "us-east/*", To: map[string]int32{"us-east/*": 80, "us-west/*": 20}}}
	fail := []networkingv1.LocalityFailover{{From: "us-east", To: "us-west"}}
	tests := []struct {
		name     string
		l        *networkingv1.LocalityLoadBalancerSetting
		od       *networkingv1.OutlierDetection
		want     *LocalityPlan
		weighted bool
		wantErrs []FieldError
	}{
		{name: "no outlier detection, no distribute: nothing", l: nil, od: nil, want: nil},
		{name: "outlier detection turns on default failover", od: od, want: &LocalityPlan{Failover: true}},
		{name: "enabled alone with outlier detection", l: &networkingv1.LocalityLoadBalancerSetting{Enabled: ptr(true)}, od: od, want: &LocalityPlan{Failover: true}},
		{name: "disabled ignores everything", l: &networkingv1.LocalityLoadBalancerSetting{Enabled: ptr(false), Distribute: dist}, od: od, want: nil},
		{name: "distribute applies without outlier detection", l: &networkingv1.LocalityLoadBalancerSetting{Distribute: dist},
			want: &LocalityPlan{Distribute: dist}, weighted: true},
		{name: "failover rules", l: &networkingv1.LocalityLoadBalancerSetting{Failover: fail}, od: od,
			want: &LocalityPlan{Failover: true, Regions: fail}, weighted: true},
		{name: "failover without outlier detection does nothing and says so", l: &networkingv1.LocalityLoadBalancerSetting{Failover: fail},
			want:     nil,
			wantErrs: []FieldError{fe(at+".failover", "has no effect without outlierDetection: Envoy fails over only from ejected endpoints")}},
		{name: "failoverPriority", l: &networkingv1.LocalityLoadBalancerSetting{FailoverPriority: []string{"version", "topology.kubernetes.io/zone"}}, od: od,
			want: &LocalityPlan{Failover: true, Priority: []string{"version", "topology.kubernetes.io/zone"}}, weighted: true},
		{name: "distribute and failover: distribute wins", l: &networkingv1.LocalityLoadBalancerSetting{Distribute: dist, Failover: fail}, od: od,
			want: &LocalityPlan{Distribute: dist, Failover: true}, weighted: true,
			wantErrs: []FieldError{fe(at+".failover", "cannot be set together with distribute; distribute applies")}},
		{name: "weights not summing to 100", od: od,
			l:        &networkingv1.LocalityLoadBalancerSetting{Distribute: []networkingv1.LocalityDistribute{{From: "us-east", To: map[string]int32{"us-east": 50, "us-west": 40}}}},
			want:     &LocalityPlan{Failover: true},
			wantErrs: []FieldError{fe(at+".distribute[0].to", "weights must sum to 100, got 90; entry ignored")}},
		{name: "bad localities in distribute", od: nil,
			l: &networkingv1.LocalityLoadBalancerSetting{Distribute: []networkingv1.LocalityDistribute{
				{From: "us-*", To: map[string]int32{"us-east//a": 100}},
				{From: "*", To: map[string]int32{"a": 0, "b": 100}},
			}},
			want: nil,
			wantErrs: []FieldError{
				fe(at+".distribute[0].from", `locality "us-*": the wildcard "*" may only be the whole last part`),
				fe(at+".distribute[0].to[us-east//a]", `locality "us-east//a" has an empty part`),
				fe(at+".distribute[1].to[a]", "weight must be between 1 and 100, got 0"),
			}},
		{name: "bad failover rules are dropped", od: od,
			l: &networkingv1.LocalityLoadBalancerSetting{Failover: []networkingv1.LocalityFailover{
				{From: "us-east", To: "us-east"}, {From: "us-east/a", To: "us-west"}, {From: "*", To: "eu"}, {From: "eu", To: ""}, {From: "eu", To: "us-east"},
			}},
			want:     &LocalityPlan{Failover: true, Regions: []networkingv1.LocalityFailover{{From: "eu", To: "us-east"}}},
			weighted: true,
			wantErrs: []FieldError{
				fe(at+".failover[0]", `from and to are the same region "us-east"; rule ignored`),
				fe(at+".failover[1]", `from and to must be regions, not zones (no "/"); rule ignored`),
				fe(at+".failover[2]", `from and to must be regions, without the "*" wildcard; rule ignored`),
				fe(at+".failover[3]", "from and to must both name a region; rule ignored"),
			}},
		{name: "topology label with failover drops failover", od: od,
			l:    &networkingv1.LocalityLoadBalancerSetting{Failover: fail, FailoverPriority: []string{"topology.kubernetes.io/region"}},
			want: &LocalityPlan{Failover: true, Priority: []string{"topology.kubernetes.io/region"}}, weighted: true,
			wantErrs: []FieldError{fe(at+".failoverPriority[0]", `topology label "topology.kubernetes.io/region" cannot be combined with failover; failover is ignored`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &networkingv1.TrafficPolicy{OutlierDetection: tt.od}
			if tt.l != nil {
				p.LoadBalancer = &networkingv1.LoadBalancerSettings{LocalityLbSetting: tt.l}
			}
			if got := LocalityPlanFor(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("plan %+v, want %+v", got, tt.want)
			}
			c, errs := applyTo(t, p, testOptions())
			wantErrors(t, errs, tt.wantErrs...)
			if got := c.GetCommonLbConfig().GetLocalityWeightedLbConfig() != nil; got != tt.weighted {
				t.Errorf("locality_weighted_lb_config set: %v, want %v", got, tt.weighted)
			}
			// Proxyless gRPC weighs localities by itself: never the field.
			g, _ := applyTo(t, p, Options{Field: "trafficPolicy", Object: testObject, GRPC: true})
			if g.GetCommonLbConfig().GetLocalityWeightedLbConfig() != nil {
				t.Errorf("gRPC cluster carries locality_weighted_lb_config")
			}
			// Applying again to the same cluster clears what no longer applies.
			Apply(c, &networkingv1.TrafficPolicy{}, testOptions())
			if c.GetCommonLbConfig().GetLocalityWeightedLbConfig() != nil {
				t.Errorf("second Apply left locality_weighted_lb_config")
			}
		})
	}
}

func TestLocalityConfigSkipsOriginalDst(t *testing.T) {
	p := &networkingv1.TrafficPolicy{LoadBalancer: &networkingv1.LoadBalancerSettings{
		Simple:            "PASSTHROUGH",
		LocalityLbSetting: &networkingv1.LocalityLoadBalancerSetting{Distribute: []networkingv1.LocalityDistribute{{From: "*", To: map[string]int32{"*": 100}}}},
	}}
	c, _ := applyTo(t, p, testOptions())
	if c.GetType() != clusterv3.Cluster_ORIGINAL_DST || c.GetCommonLbConfig().GetLocalityWeightedLbConfig() != nil {
		t.Errorf("passthrough cluster: type %v, common %v", c.GetType(), c.CommonLbConfig)
	}
}
