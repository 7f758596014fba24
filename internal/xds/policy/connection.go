package policy

import (
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
)

// applyConnectTimeout sets Istio's 10s default or tcp.connectTimeout.
func applyConnectTimeout(c *clusterv3.Cluster, cp *networkingv1.ConnectionPoolSettings, r *reporter) {
	c.ConnectTimeout = durationpb.New(defaults.ConnectTimeout)
	if cp == nil || cp.TCP == nil {
		return
	}
	if d := r.duration(secConnectionPool, "tcp.connectTimeout", cp.TCP.ConnectTimeout); d != nil {
		c.ConnectTimeout = d
	}
}

// applyTCPKeepalive turns on SO_KEEPALIVE for upstream sockets. Attributes
// the rule leaves out stay as they were (the caller's mesh-wide keepalive)
// or, when nothing set them, at the kernel's defaults.
func applyTCPKeepalive(c *clusterv3.Cluster, cp *networkingv1.ConnectionPoolSettings, r *reporter) {
	if cp == nil || cp.TCP == nil || cp.TCP.TCPKeepalive == nil {
		return
	}
	ka := cp.TCP.TCPKeepalive
	if c.UpstreamConnectionOptions == nil {
		c.UpstreamConnectionOptions = &clusterv3.UpstreamConnectionOptions{}
	}
	if c.UpstreamConnectionOptions.TcpKeepalive == nil {
		c.UpstreamConnectionOptions.TcpKeepalive = &corev3.TcpKeepalive{}
	}
	out := c.UpstreamConnectionOptions.TcpKeepalive
	if ka.Probes > 0 {
		out.KeepaliveProbes = wrapperspb.UInt32(uint32(ka.Probes))
	}
	if s, ok := keepaliveSeconds(ka.Time, "tcp.tcpKeepalive.time", r); ok {
		out.KeepaliveTime = wrapperspb.UInt32(s)
	}
	if s, ok := keepaliveSeconds(ka.Interval, "tcp.tcpKeepalive.interval", r); ok {
		out.KeepaliveInterval = wrapperspb.UInt32(s)
	}
}

// keepaliveSeconds converts to the whole seconds the socket options take.
// Istio truncates; a sub-second value would truncate to 0, which the
// kernel refuses, so it becomes 1s instead.
func keepaliveSeconds(v *networkingv1.Duration, field string, r *reporter) (uint32, bool) {
	d := r.duration(secConnectionPool, field, v)
	if d == nil {
		return 0, false
	}
	s := d.AsDuration() / time.Second
	if s < 1 {
		s = 1
	}
	if s > 1<<31-1 {
		r.add(secConnectionPool, field, "duration %q is too long for a socket option", string(*v))
		return 0, false
	}
	return uint32(s), true
}

// TCPIdleTimeout is connectionPool.tcp.idleTimeout for the listener
// builder: on TCP ports it belongs on the tcp_proxy filter, not on the
// cluster. Nil when unset or invalid (Apply reports invalid values), in
// which case tcp_proxy keeps Envoy's default of one hour; "0s" disables it.
func TCPIdleTimeout(p *networkingv1.TrafficPolicy) *durationpb.Duration {
	if p == nil || p.ConnectionPool == nil || p.ConnectionPool.TCP == nil || p.ConnectionPool.TCP.IdleTimeout == nil {
		return nil
	}
	d, err := parseDuration(string(*p.ConnectionPool.TCP.IdleTimeout), 0)
	if err != nil {
		return nil
	}
	return durationpb.New(d)
}
