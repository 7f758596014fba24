package xds

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/policy"
)

// ep is a ready endpoint at addr in the locality, with labels "k=v,...".
func ep(addr, locality, labels string, weight uint32) model.Endpoint {
	l := map[string]string{}
	for _, kv := range strings.Split(labels, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			l[k] = v
		}
	}
	return model.Endpoint{Address: addr, Port: 9080, Locality: locality, Labels: l, Weight: weight, Ready: true}
}

// shape renders an assignment as "priority locality weight [addrs]" lines,
// sorted, so a case states what Envoy sees.
func shape(cla *endpointv3.ClusterLoadAssignment) string {
	var lines []string
	for _, l := range cla.Endpoints {
		var addrs []string
		for _, e := range l.LbEndpoints {
			addrs = append(addrs, e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress())
		}
		loc := model.FormatLocality(l.Locality.GetRegion(), l.Locality.GetZone(), l.Locality.GetSubZone())
		lines = append(lines, fmt.Sprintf("p%d %s w%d %v", l.Priority, loc, l.LoadBalancingWeight.GetValue(), addrs))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestLocalityAssignment(t *testing.T) {
	spread := []model.Endpoint{
		ep("10.0.0.1", "us-east/a/s1", "version=v1", 1),
		ep("10.0.0.2", "us-east/a/s2", "version=v1", 1),
		ep("10.0.0.3", "us-east/b", "version=v2", 1),
		ep("10.0.0.4", "us-west/c", "version=v1", 1),
		ep("10.0.0.5", "eu/x", "version=v1", 1),
		{Address: "10.0.0.9", Port: 9080, Locality: "us-east/a/s1", Ready: false},
	}
	proxy := Proxy{Labels: map[string]string{"app": "productpage", "version": "v1"}, Locality: "us-east/a/s1"}
	tests := []struct {
		name  string
		eps   []model.Endpoint
		plan  *policy.LocalityPlan
		proxy Proxy
		want  string
	}{
		{name: "no plan: one priority", eps: spread, proxy: proxy, want: `p0 eu/x w1 [10.0.0.5]
p0 us-east/a/s1 w1 [10.0.0.1]
p0 us-east/a/s2 w1 [10.0.0.2]
p0 us-east/b w1 [10.0.0.3]
p0 us-west/c w1 [10.0.0.4]`},
		{name: "default failover: subzone, zone, region, elsewhere", eps: spread, proxy: proxy,
			plan: &policy.LocalityPlan{Failover: true}, want: `p0 us-east/a/s1 w1 [10.0.0.1]
p1 us-east/a/s2 w1 [10.0.0.2]
p2 us-east/b w1 [10.0.0.3]
p3 eu/x w1 [10.0.0.5]
p3 us-west/c w1 [10.0.0.4]`},
		{name: "failover rule puts its region before the others", eps: spread, proxy: proxy,
			plan: &policy.LocalityPlan{Failover: true, Regions: []networkingv1.LocalityFailover{{From: "us-east", To: "eu"}}}, want: `p0 us-east/a/s1 w1 [10.0.0.1]
p1 us-east/a/s2 w1 [10.0.0.2]
p2 us-east/b w1 [10.0.0.3]
p3 eu/x w1 [10.0.0.5]
p4 us-west/c w1 [10.0.0.4]`},
		{name: "failover rule for another region does not apply", eps: spread, proxy: proxy,
			plan: &policy.LocalityPlan{Failover: true, Regions: []networkingv1.LocalityFailover{{From: "eu", To: "us-west"}}}, want: `p0 us-east/a/s1 w1 [10.0.0.1]
p1 us-east/a/s2 w1 [10.0.0.2]
p2 us-east/b w1 [10.0.0.3]
p3 eu/x w1 [10.0.0.5]
p3 us-west/c w1 [10.0.0.4]`},
		{name: "unknown proxy locality: gaps closed", eps: spread, proxy: Proxy{Labels: proxy.Labels},
			plan: &policy.LocalityPlan{Failover: true}, want: `p0 eu/x w1 [10.0.0.5]
p0 us-east/a/s1 w1 [10.0.0.1]
p0 us-east/a/s2 w1 [10.0.0.2]
p0 us-east/b w1 [10.0.0.3]
p0 us-west/c w1 [10.0.0.4]`},
		{name: "failoverPriority splits a locality by label agreement", proxy: proxy,
			eps: []model.Endpoint{
				ep("10.1.0.1", "us-east/a", "version=v1", 1), ep("10.1.0.2", "us-east/a", "version=v2", 1),
				ep("10.1.0.3", "us-west/c", "version=v1", 2),
			},
			plan: &policy.LocalityPlan{Failover: true, Priority: []string{"version", "topology.kubernetes.io/region"}}, want: `p0 us-east/a w1 [10.1.0.1]
p1 us-west/c w2 [10.1.0.3]
p2 us-east/a w1 [10.1.0.2]`},
		{name: "failoverPriority override value", proxy: proxy,
			eps:  []model.Endpoint{ep("10.1.0.1", "us-east/a", "version=v1", 1), ep("10.1.0.2", "us-east/a", "version=v2", 1)},
			plan: &policy.LocalityPlan{Failover: true, Priority: []string{"version=v2"}}, want: `p0 us-east/a w1 [10.1.0.2]
p1 us-east/a w1 [10.1.0.1]`},
		{name: "failoverPriority then region failover", proxy: proxy,
			eps: []model.Endpoint{
				ep("10.1.0.1", "us-east/a/s1", "version=v2", 1), ep("10.1.0.2", "us-west/c", "version=v1", 1), ep("10.1.0.3", "us-east/b", "version=v1", 1),
			},
			plan: &policy.LocalityPlan{Failover: true, Priority: []string{"version"}, Regions: []networkingv1.LocalityFailover{{From: "us-east", To: "us-west"}}}, want: `p0 us-east/b w1 [10.1.0.3]
p1 us-west/c w1 [10.1.0.2]
p2 us-east/a/s1 w1 [10.1.0.1]`},
		{name: "distribute weighs matched localities and drops the rest", proxy: proxy,
			eps: []model.Endpoint{
				ep("10.2.0.1", "us-east/a", "", 1), ep("10.2.0.2", "us-east/a", "", 1), ep("10.2.0.3", "us-east/b", "", 1),
				ep("10.2.0.4", "us-west/c", "", 1), ep("10.2.0.5", "us-west/d", "", 3),
			},
			plan: &policy.LocalityPlan{Distribute: []networkingv1.LocalityDistribute{
				{From: "eu/*", To: map[string]int32{"eu/*": 100}},
				{From: "us-east/*", To: map[string]int32{"us-east/a": 70, "us-west/*": 30}},
			}, Failover: true}, want: `p0 us-east/a w70 [10.2.0.1 10.2.0.2]
p0 us-west/c w8 [10.2.0.4]
p0 us-west/d w23 [10.2.0.5]`},
		{name: "overlapping to localities: the more specific claims first", proxy: proxy,
			eps: []model.Endpoint{ep("10.2.0.1", "us-east/a", "", 1), ep("10.2.0.3", "us-east/b", "", 1)},
			plan: &policy.LocalityPlan{Distribute: []networkingv1.LocalityDistribute{
				{From: "*", To: map[string]int32{"us-east/*": 10, "us-east/b": 90}},
			}}, want: `p0 us-east/a w10 [10.2.0.1]
p0 us-east/b w90 [10.2.0.3]`},
		{name: "distribute from another locality changes nothing", proxy: proxy,
			eps: []model.Endpoint{ep("10.2.0.1", "us-east/a", "", 1), ep("10.2.0.4", "us-west/c", "", 1)},
			plan: &policy.LocalityPlan{Distribute: []networkingv1.LocalityDistribute{
				{From: "us-west", To: map[string]int32{"us-west": 100}},
			}}, want: `p0 us-east/a w1 [10.2.0.1]
p0 us-west/c w1 [10.2.0.4]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cla := localityAssignment("outbound|9080||reviews.default.svc.cluster.local", tt.eps, tt.plan, tt.proxy)
			if err := cla.ValidateAll(); err != nil {
				t.Fatalf("invalid load assignment: %v", err)
			}
			if got := shape(cla); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestGroupKeySeparatesLocalities(t *testing.T) {
	a := Proxy{Namespace: "default", Labels: map[string]string{"app": "x"}, Locality: "us-east/a"}
	b := a
	b.Locality = "us-east/b"
	if GroupKey(a) == GroupKey(b) {
		t.Errorf("proxies in different zones share group key %q", GroupKey(a))
	}
	m := &model.Model{}
	if OutboundKey(m, a) != OutboundKey(m, b) {
		t.Errorf("without locality-aware rules the outbound half should be shared")
	}
	m.LocalityAware = true
	if OutboundKey(m, a) == OutboundKey(m, b) {
		t.Errorf("with locality-aware rules proxies in different zones share outbound key %q", OutboundKey(m, a))
	}
}

// Auto mTLS and locality load balancing meet in the load assignment: an
// endpoint whose pod runs a sidecar keeps its tlsMode metadata in
// whatever locality and priority it lands.
func TestLocalityAssignmentKeepsTLSMode(t *testing.T) {
	meshed := ep("10.0.0.1", "r1/z1", "app=a", 1)
	meshed.Meshed = true
	plain := ep("10.0.0.2", "r1/z2", "app=a", 1)
	cla := localityAssignment("outbound|9080||a.default.svc.cluster.local", []model.Endpoint{meshed, plain}, nil, Proxy{})
	got := map[string]bool{}
	for _, loc := range cla.Endpoints {
		for _, e := range loc.LbEndpoints {
			md := e.GetMetadata().GetFilterMetadata()[names.TransportSocketMatchFilter]
			got[e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress()] = md.GetFields()[names.TLSModeKey].GetStringValue() == names.TLSModeIstio
		}
	}
	if !got["10.0.0.1"] || got["10.0.0.2"] || len(got) != 2 {
		t.Errorf("tlsMode istio by address %v, want 10.0.0.1 only", got)
	}
}
