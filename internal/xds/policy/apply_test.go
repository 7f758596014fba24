package policy

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// defaultThresholds is Istio's circuit breaker with nothing configured.
func defaultThresholds() *clusterv3.CircuitBreakers_Thresholds {
	return &clusterv3.CircuitBreakers_Thresholds{
		Priority:           corev3.RoutingPriority_DEFAULT,
		MaxConnections:     wrapperspb.UInt32(4294967295),
		MaxPendingRequests: wrapperspb.UInt32(4294967295),
		MaxRequests:        wrapperspb.UInt32(4294967295),
		MaxRetries:         wrapperspb.UInt32(4294967295),
		TrackRemaining:     true,
	}
}

// istioDefaults is edsCluster as Istio configures it without a rule.
func istioDefaults() *clusterv3.Cluster {
	c := edsCluster()
	c.ConnectTimeout = durationpb.New(10_000_000_000)
	c.LbPolicy = clusterv3.Cluster_LEAST_REQUEST
	c.CircuitBreakers = &clusterv3.CircuitBreakers{Thresholds: []*clusterv3.CircuitBreakers_Thresholds{defaultThresholds()}}
	return c
}

func TestApplyWithoutPolicy(t *testing.T) {
	for _, p := range []*networkingv1.TrafficPolicy{nil, {}} {
		c := applyOK(t, p, testOptions())
		protoEqual(t, "cluster", c, istioDefaults())
	}
}

// Options.HTTP2 alone makes the upstream HTTP/2.
func TestApplyWithoutPolicyHTTP2(t *testing.T) {
	o := testOptions()
	o.HTTP2 = true
	c := applyOK(t, nil, o)
	if got := httpOptions(t, c).GetExplicitHttpConfig().GetHttp2ProtocolOptions(); got == nil {
		t.Fatalf("want explicit HTTP/2, got %v", httpOptions(t, c))
	}
}

func TestFieldErrorString(t *testing.T) {
	e := FieldError{Object: testObject, Kind: Kind, Field: "trafficPolicy.tls.mode", Reason: "ISTIO_MUTUAL is not supported yet"}
	want := "DestinationRule default/reviews: trafficPolicy.tls.mode: ISTIO_MUTUAL is not supported yet"
	if e.Error() != want {
		t.Errorf("got %q, want %q", e.Error(), want)
	}
}

// Apply owns its fields: applying a policy, then none, gives the defaults
// back, and applying the same policy twice gives the same cluster.
func TestApplyOverwritesItsFields(t *testing.T) {
	p := &networkingv1.TrafficPolicy{
		LoadBalancer:     &networkingv1.LoadBalancerSettings{Simple: "ROUND_ROBIN", WarmupDurationSecs: dur("10s")},
		OutlierDetection: &networkingv1.OutlierDetection{Consecutive5xxErrors: ptr[int32](3)},
		ConnectionPool:   &networkingv1.ConnectionPoolSettings{HTTP: &networkingv1.HTTPSettings{H2UpgradePolicy: "UPGRADE"}},
		TLS:              &networkingv1.ClientTLSSettings{Mode: "SIMPLE", InsecureSkipVerify: ptr(true)},
	}
	c := edsCluster()
	Apply(c, p, testOptions())
	once := proto.Clone(c)
	Apply(c, p, testOptions())
	protoEqual(t, "applied twice", c, once)

	Apply(c, nil, testOptions())
	want := istioDefaults()
	// The panic threshold from outlier detection stays: common_lb_config
	// may hold the caller's settings too.
	want.CommonLbConfig = c.CommonLbConfig
	// The emptied map is not nil, which proto.Equal treats the same.
	want.TypedExtensionProtocolOptions = c.TypedExtensionProtocolOptions
	if len(c.TypedExtensionProtocolOptions) != 0 {
		t.Errorf("protocol options left behind: %v", c.TypedExtensionProtocolOptions)
	}
	protoEqual(t, "after clearing", c, want)
}

// A DNS cluster keeps its discovery type and endpoints; the policy only
// adds to it.
func TestApplyKeepsDNSCluster(t *testing.T) {
	c := &clusterv3.Cluster{
		Name:                 "outbound|443||api.example.com",
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: "outbound|443||api.example.com",
		},
	}
	errs := Apply(c, &networkingv1.TrafficPolicy{LoadBalancer: lb("ROUND_ROBIN")}, testOptions())
	mustBeValid(t, c)
	wantErrors(t, errs)
	if c.GetType() != clusterv3.Cluster_STRICT_DNS || c.LoadAssignment == nil || c.LbPolicy != clusterv3.Cluster_ROUND_ROBIN {
		t.Errorf("got type %v, load assignment %v, lb %v", c.GetType(), c.LoadAssignment, c.LbPolicy)
	}
}

// Every section at once, valid and invalid, on every kind of port: the
// cluster must stay valid for Envoy whatever the rule holds.
func TestApplyAlwaysValid(t *testing.T) {
	valid := &networkingv1.TrafficPolicy{
		LoadBalancer: &networkingv1.LoadBalancerSettings{
			ConsistentHash:    &networkingv1.ConsistentHashLB{HTTPCookie: &networkingv1.HTTPCookie{Name: "s", TTL: ptr(networkingv1.Timeout("10s"))}, Maglev: &networkingv1.MagLev{TableSize: 5000011}},
			LocalityLbSetting: &networkingv1.LocalityLoadBalancerSetting{Enabled: ptr(true)},
		},
		ConnectionPool: &networkingv1.ConnectionPoolSettings{
			TCP: &networkingv1.TCPSettings{MaxConnections: 10, ConnectTimeout: dur("250ms"), MaxConnectionDuration: dur("1h"), IdleTimeout: dur("1m"),
				TCPKeepalive: &networkingv1.TCPKeepalive{Probes: 3, Time: dur("1m"), Interval: dur("10s")}},
			HTTP: &networkingv1.HTTPSettings{HTTP1MaxPendingRequests: 1, HTTP2MaxRequests: 2, MaxRequestsPerConnection: 3, MaxRetries: 4,
				IdleTimeout: dur("30s"), H2UpgradePolicy: "UPGRADE", MaxConcurrentStreams: 100},
		},
		OutlierDetection: &networkingv1.OutlierDetection{Consecutive5xxErrors: ptr[int32](1), ConsecutiveGatewayErrors: ptr[int32](1),
			SplitExternalLocalOriginErrors: true, ConsecutiveLocalOriginFailures: ptr[int32](1), Interval: dur("1s"), BaseEjectionTime: dur("1s"),
			MaxEjectionPercent: 100, MinHealthPercent: 100},
		TLS:           &networkingv1.ClientTLSSettings{Mode: "MUTUAL", CredentialName: "c", SubjectAltNames: []string{"a", "spiffe://b"}, SNI: "s", CACrl: "/crl"},
		ProxyProtocol: &networkingv1.ProxyProtocol{Version: "V2"},
		RetryBudget:   &networkingv1.RetryBudget{Percent: ptr(100.0), MinRetryConcurrency: 1},
	}
	invalid := &networkingv1.TrafficPolicy{
		LoadBalancer: &networkingv1.LoadBalancerSettings{Simple: "ROUND_ROBIN", Warmup: &networkingv1.WarmupConfiguration{Duration: "-1s", Aggression: ptr(-1.0)}},
		ConnectionPool: &networkingv1.ConnectionPoolSettings{
			TCP:  &networkingv1.TCPSettings{MaxConnections: -1, ConnectTimeout: dur("-5s"), MaxConnectionDuration: dur("?"), IdleTimeout: dur("-1s"), TCPKeepalive: &networkingv1.TCPKeepalive{Probes: -1, Time: dur("0s"), Interval: dur("1000000h")}},
			HTTP: &networkingv1.HTTPSettings{HTTP1MaxPendingRequests: -1, MaxConcurrentStreams: -1, IdleTimeout: dur("-1s"), H2UpgradePolicy: "??"},
		},
		OutlierDetection: &networkingv1.OutlierDetection{Consecutive5xxErrors: ptr[int32](-1), ConsecutiveGatewayErrors: ptr[int32](-1), MaxEjectionPercent: 1000, MinHealthPercent: -1, Interval: dur("0s")},
		TLS:              &networkingv1.ClientTLSSettings{Mode: "MUTUAL", SubjectAltNames: []string{""}, SNI: string(make([]byte, 300))},
		ProxyProtocol:    &networkingv1.ProxyProtocol{Version: "V9"},
		RetryBudget:      &networkingv1.RetryBudget{Percent: ptr(-1.0), MinRetryConcurrency: -1},
		Tunnel:           &networkingv1.TunnelSettings{},
	}
	for _, p := range []*networkingv1.TrafficPolicy{valid, invalid} {
		for _, h2 := range []bool{false, true} {
			o := testOptions()
			o.HTTP2 = h2
			o.SystemCA = "/ca"
			o.DefaultSNI = "reviews.default.svc.cluster.local"
			_, errs := applyTo(t, p, o) // fails unless valid
			if p == valid && len(errs) != 0 {
				t.Errorf("valid policy: %v", errs)
			}
			if p == invalid && len(errs) < 15 {
				t.Errorf("invalid policy: only %d errors: %v", len(errs), errs)
			}
		}
	}
}
