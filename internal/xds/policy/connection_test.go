package policy

import (
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func tcp(s networkingv1.TCPSettings) *networkingv1.TrafficPolicy {
	return &networkingv1.TrafficPolicy{ConnectionPool: &networkingv1.ConnectionPoolSettings{TCP: &s}}
}

func TestConnectTimeout(t *testing.T) {
	tests := []struct {
		name     string
		p        *networkingv1.TrafficPolicy
		want     time.Duration
		wantErrs []FieldError
	}{
		{name: "Istio default", want: 10 * time.Second},
		{name: "minutes", p: tcp(networkingv1.TCPSettings{ConnectTimeout: dur("3m")}), want: 3 * time.Minute},
		{name: "fractional seconds", p: tcp(networkingv1.TCPSettings{ConnectTimeout: dur("1.5s")}), want: 1500 * time.Millisecond},
		{
			name: "not a duration keeps the default",
			p:    tcp(networkingv1.TCPSettings{ConnectTimeout: dur("10")}), want: 10 * time.Second,
			wantErrs: []FieldError{fe("trafficPolicy.connectionPool.tcp.connectTimeout", `invalid duration "10"`)},
		},
		{
			name: "zero would make Envoy reject the cluster",
			p:    tcp(networkingv1.TCPSettings{ConnectTimeout: dur("0s")}), want: 10 * time.Second,
			wantErrs: []FieldError{fe("trafficPolicy.connectionPool.tcp.connectTimeout", `duration "0s" must be at least 1ms`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := applyTo(t, tt.p, testOptions())
			wantErrors(t, errs, tt.wantErrs...)
			protoEqual(t, "connect_timeout", c.ConnectTimeout, durationpb.New(tt.want))
		})
	}
}

func TestTCPKeepalive(t *testing.T) {
	tests := []struct {
		name     string
		ka       *networkingv1.TCPKeepalive
		existing *corev3.TcpKeepalive // the caller's mesh-wide keepalive
		want     *corev3.TcpKeepalive
	}{
		{name: "empty turns SO_KEEPALIVE on with kernel defaults", ka: &networkingv1.TCPKeepalive{}, want: &corev3.TcpKeepalive{}},
		{
			name: "all fields, in whole seconds",
			ka:   &networkingv1.TCPKeepalive{Probes: 3, Time: dur("2m"), Interval: dur("1.9s")},
			want: &corev3.TcpKeepalive{
				KeepaliveProbes:   wrapperspb.UInt32(3),
				KeepaliveTime:     wrapperspb.UInt32(120),
				KeepaliveInterval: wrapperspb.UInt32(1),
			},
		},
		{
			name: "sub-second rounds up to the kernel's minimum",
			ka:   &networkingv1.TCPKeepalive{Time: dur("300ms")},
			want: &corev3.TcpKeepalive{KeepaliveTime: wrapperspb.UInt32(1)},
		},
		{
			name:     "overrides the mesh-wide keepalive attribute by attribute",
			ka:       &networkingv1.TCPKeepalive{Time: dur("30s")},
			existing: &corev3.TcpKeepalive{KeepaliveProbes: wrapperspb.UInt32(9), KeepaliveTime: wrapperspb.UInt32(7200)},
			want:     &corev3.TcpKeepalive{KeepaliveProbes: wrapperspb.UInt32(9), KeepaliveTime: wrapperspb.UInt32(30)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := edsCluster()
			if tt.existing != nil {
				c.UpstreamConnectionOptions = &clusterv3.UpstreamConnectionOptions{TcpKeepalive: tt.existing}
			}
			wantErrors(t, Apply(c, tcp(networkingv1.TCPSettings{TCPKeepalive: tt.ka}), testOptions()))
			mustBeValid(t, c)
			protoEqual(t, "tcp_keepalive", c.GetUpstreamConnectionOptions().GetTcpKeepalive(), tt.want)
		})
	}
	t.Run("no keepalive leaves the socket alone", func(t *testing.T) {
		c := applyOK(t, tcp(networkingv1.TCPSettings{MaxConnections: 1}), testOptions())
		if c.UpstreamConnectionOptions != nil {
			t.Errorf("got %v", c.UpstreamConnectionOptions)
		}
	})
}

func TestTCPIdleTimeout(t *testing.T) {
	tests := []struct {
		name string
		p    *networkingv1.TrafficPolicy
		want *durationpb.Duration
	}{
		{name: "no policy"},
		{name: "no tcp settings", p: &networkingv1.TrafficPolicy{ConnectionPool: &networkingv1.ConnectionPoolSettings{}}},
		{name: "set", p: tcp(networkingv1.TCPSettings{IdleTimeout: dur("5m")}), want: durationpb.New(5 * time.Minute)},
		{name: "0s disables", p: tcp(networkingv1.TCPSettings{IdleTimeout: dur("0s")}), want: durationpb.New(0)},
		{name: "invalid", p: tcp(networkingv1.TCPSettings{IdleTimeout: dur("soon")})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			protoEqual(t, "idle timeout", TCPIdleTimeout(tt.p), tt.want)
		})
	}
}
