package xds

import (
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/names"
)

func TestCheckConsistencyFindsWhatEnvoyRefusesAsAWhole(t *testing.T) {
	r := generate(t, "reviews-v1")
	if errs := CheckConsistency(r); len(errs) > 0 {
		t.Fatalf("clean config reported: %v", errs)
	}
	// A header regex over RE2's program size in an RDS route configuration.
	rc := r.Routes[0]
	rt := rc.VirtualHosts[0].Routes[0]
	rt.Match.Headers = append(rt.Match.Headers, &routev3.HeaderMatcher{Name: "x", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
		StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "a{1000}"}}}}})
	// A regex that does not parse, in the route configuration inline in
	// an inbound listener's HTTP connection manager (inside an Any).
	inlined := false
	for _, l := range r.Listeners {
		for _, fc := range l.FilterChains {
			for _, f := range fc.Filters {
				if f.Name != names.HTTPConnectionManagerFilter || inlined {
					continue
				}
				var h hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil || h.GetRouteConfig() == nil {
					continue
				}
				h.GetRouteConfig().VirtualHosts[0].Routes[0].Match.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "(unclosed"}}
				a, err := anypb.New(&h)
				if err != nil {
					t.Fatal(err)
				}
				f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: a}
				inlined = true
			}
		}
	}
	if !inlined {
		t.Fatal("no inline route configuration to break")
	}
	// A cluster twice, and a filter chain twice.
	r.Clusters = append(r.Clusters, proto.Clone(r.Clusters[0]).(*clusterv3.Cluster))
	l := r.Listeners[0]
	l.FilterChains = append(l.FilterChains, l.FilterChains[0])
	// Two chains sharing one server name (in another case) of several.
	sni := func(name string, hosts ...string) *listenerv3.FilterChain {
		return &listenerv3.FilterChain{Name: name, FilterChainMatch: &listenerv3.FilterChainMatch{ServerNames: hosts}}
	}
	r.Listeners = append(r.Listeners, &listenerv3.Listener{Name: "sni", FilterChains: []*listenerv3.FilterChain{
		sni("a", "a.example.com", "b.example.com"), sni("c", "c.example.com"), sni("b", "B.example.com")}})
	// A workload's own certificate stands for itself; its trust bundle is
	// not a certificate.
	tlsCluster := func(name, secret string) *clusterv3.Cluster {
		ctx, _ := anypb.New(&tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: secret}}}})
		return &clusterv3.Cluster{Name: name, ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
			TransportSocket: &corev3.TransportSocket{Name: "tls", ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: ctx}}}
	}
	r.Clusters = append(r.Clusters, tlsCluster("mtls-ok", names.WorkloadCertSecret), tlsCluster("mtls-bad", names.RootCASecret))

	// Weights over what a locality may add up to.
	heavy := func() *endpointv3.LbEndpoint {
		return &endpointv3.LbEndpoint{LoadBalancingWeight: wrapperspb.UInt32(3_000_000_000)}
	}
	r.Endpoints = append(r.Endpoints, &endpointv3.ClusterLoadAssignment{ClusterName: "heavy", Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{heavy(), heavy()}}}})

	var joined strings.Builder
	for _, e := range CheckConsistency(r) {
		joined.WriteString(e.Error() + "\n")
	}
	got := joined.String()
	for _, want := range []string{
		`route configuration ` + rc.Name + `: regex "a{1000}" has RE2 program size`,
		`regex "(unclosed" does not compile`,
		"cluster " + r.Clusters[0].Name + " appears twice",
		`listener 0.0.0.0_7070: filter chain 1 ("") matches the same connections as filter chain 0 ("")`,
		"load assignment heavy: the weights of locality",
		`listener sni: filter chain 2 ("b") matches the same connections as filter chain 0 ("a")`,
		`cluster mtls-bad: workload SDS secret "ROOTCA" asked for as the wrong kind`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("CheckConsistency missed %s; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"a" and "c"`) || strings.Contains(got, `"c" and "b"`) {
		t.Errorf("chains with distinct server names reported:\n%s", got)
	}
	if strings.Contains(got, "mtls-ok") {
		t.Errorf("the workload certificate was reported missing:\n%s", got)
	}
}
