package policy

import (
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func inboundCluster() *clusterv3.Cluster {
	return &clusterv3.Cluster{Name: "inbound|8080||orders.default.svc.cluster.local", ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC}}
}

// Without a pool an inbound cluster gets Istio's lifted limits and
// connect timeout, and the upstream protocol its port asks for.
func TestApplyInboundDefaults(t *testing.T) {
	c := inboundCluster()
	wantErrors(t, ApplyInbound(c, nil, Options{}))
	mustBeValid(t, c)
	protoEqual(t, "thresholds", c.CircuitBreakers.Thresholds[0], defaultThresholds())
	if c.ConnectTimeout.AsDuration().Seconds() != 10 || c.LbPolicy != clusterv3.Cluster_ROUND_ROBIN || c.TransportSocket != nil {
		t.Errorf("connect timeout %v, lb %v, socket %v: want 10s and nothing else", c.ConnectTimeout, c.LbPolicy, c.TransportSocket)
	}
	if len(c.TypedExtensionProtocolOptions) != 0 {
		t.Errorf("an HTTP/1.1 port's inbound cluster has protocol options %v", c.TypedExtensionProtocolOptions)
	}

	grpc := inboundCluster()
	wantErrors(t, ApplyInbound(grpc, nil, Options{HTTP2: true}))
	if httpOptions(t, grpc).GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
		t.Errorf("a grpc port's inbound cluster does not speak HTTP/2 to the app: %v", httpOptions(t, grpc))
	}

	sniffed := inboundCluster()
	wantErrors(t, ApplyInbound(sniffed, nil, Options{UseDownstream: true}))
	protoEqual(t, HTTPProtocolOptionsKey, httpOptions(t, sniffed), downstream(&corev3.Http2ProtocolOptions{}, nil))
}

// A pool sets the limits, keepalive and per-connection options; an
// h2UpgradePolicy is for clients and leaves the app on HTTP/1.1.
func TestApplyInboundPool(t *testing.T) {
	c := inboundCluster()
	cp := &networkingv1.ConnectionPoolSettings{
		TCP: &networkingv1.TCPSettings{MaxConnections: 10, ConnectTimeout: dur("3s"), TCPKeepalive: &networkingv1.TCPKeepalive{Probes: 4}},
		HTTP: &networkingv1.HTTPSettings{HTTP1MaxPendingRequests: 5, HTTP2MaxRequests: 6, MaxRetries: 2,
			MaxRequestsPerConnection: 7, H2UpgradePolicy: "UPGRADE"},
	}
	wantErrors(t, ApplyInbound(c, cp, Options{}))
	mustBeValid(t, c)
	want := defaultThresholds()
	want.MaxConnections, want.MaxPendingRequests, want.MaxRequests, want.MaxRetries = wrapperspb.UInt32(10), wrapperspb.UInt32(5), wrapperspb.UInt32(6), wrapperspb.UInt32(2)
	protoEqual(t, "thresholds", c.CircuitBreakers.Thresholds[0], want)
	protoEqual(t, "connect timeout", c.ConnectTimeout, durationpb.New(3_000_000_000))
	if got := c.GetUpstreamConnectionOptions().GetTcpKeepalive().GetKeepaliveProbes().GetValue(); got != 4 {
		t.Errorf("keepalive probes %d, want 4", got)
	}
	h := httpOptions(t, c)
	if h.GetExplicitHttpConfig().GetHttp2ProtocolOptions() != nil {
		t.Errorf("h2UpgradePolicy upgraded an inbound cluster: %v", h)
	}
	if got := h.GetCommonHttpProtocolOptions().GetMaxRequestsPerConnection().GetValue(); got != 7 {
		t.Errorf("max requests per connection %d, want 7", got)
	}
	if cp.HTTP.H2UpgradePolicy != "UPGRADE" {
		t.Error("ApplyInbound changed the pool it was given")
	}
}

// A Sidecar's pool reports its problems under its own kind and field.
func TestApplyInboundReportsTheSidecarsField(t *testing.T) {
	c := inboundCluster()
	cp := &networkingv1.ConnectionPoolSettings{TCP: &networkingv1.TCPSettings{ConnectTimeout: dur("soon")}}
	errs := ApplyInbound(c, cp, Options{Kind: "Sidecar", Object: testObject, PoolField: "inboundConnectionPool"})
	if len(errs) != 1 || errs[0].Kind != "Sidecar" || errs[0].Field != "inboundConnectionPool.tcp.connectTimeout" {
		t.Fatalf("errors %v, want one for Sidecar field inboundConnectionPool.tcp.connectTimeout", errs)
	}
	mustBeValid(t, c)
}
