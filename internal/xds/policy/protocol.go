package policy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// HTTPProtocolOptionsKey is the typed_extension_protocol_options key Envoy
// reads upstream HTTP settings from.
const HTTPProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// H2UpgradePolicy values.
const (
	h2Default      = "DEFAULT"
	h2Upgrade      = "UPGRADE"
	h2DoNotUpgrade = "DO_NOT_UPGRADE"
)

// applyProtocolOptions decides the upstream HTTP protocol and connection
// limits, and reports whether the upstream speaks HTTP/2 (TLS then offers
// ALPN h2). Like Istio it writes HttpProtocolOptions only when there is
// something to say: without them Envoy speaks HTTP/1.1 with its defaults,
// which is what `istioctl proxy-config cluster` shows for plain HTTP ports.
//
// useDownstream (a sniffed port on a sidecar) mirrors the downstream
// protocol, like http.useClientProtocol.
func applyProtocolOptions(c *clusterv3.Cluster, cp *networkingv1.ConnectionPoolSettings, http2, useDownstream bool, r *reporter) bool {
	delete(c.TypedExtensionProtocolOptions, HTTPProtocolOptionsKey)
	var h *networkingv1.HTTPSettings
	if cp != nil {
		h = cp.HTTP
	}
	useClient := useDownstream || h != nil && h.UseClientProtocol
	h2 := http2 || !useDownstream && upgradeToH2(h, r)
	common := commonHTTPOptions(cp, r)
	if !h2 && !useClient && common == nil {
		return false
	}
	opts := &httpv3.HttpProtocolOptions{CommonHttpProtocolOptions: common}
	h2opts := &corev3.Http2ProtocolOptions{}
	if h != nil && h.MaxConcurrentStreams > 0 {
		// Only HTTP/2 has streams; on HTTP/1.1 upstreams Istio drops the
		// setting silently too, since one rule may cover both kinds of port.
		h2opts.MaxConcurrentStreams = wrapperspb.UInt32(uint32(h.MaxConcurrentStreams))
	}
	switch {
	case useClient:
		// Mirror the downstream protocol. This wins over the port's protocol
		// and over UPGRADE, as in Istio.
		opts.UpstreamProtocolOptions = useDownstreamConfig(h2opts)
		h2 = false
	case h2:
		opts.UpstreamProtocolOptions = explicitHTTP2(h2opts)
	default:
		// The oneof is required once the message exists: say HTTP/1.1.
		opts.UpstreamProtocolOptions = explicitHTTP1()
	}
	a, err := marshalAny(opts)
	if err != nil {
		r.add(secConnectionPool, "", "cannot encode upstream HTTP options: %v", err)
		return h2
	}
	if c.TypedExtensionProtocolOptions == nil {
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{}
	}
	c.TypedExtensionProtocolOptions[HTTPProtocolOptionsKey] = a
	return h2
}

func useDownstreamConfig(h2 *corev3.Http2ProtocolOptions) *httpv3.HttpProtocolOptions_UseDownstreamProtocolConfig {
	return &httpv3.HttpProtocolOptions_UseDownstreamProtocolConfig{
		UseDownstreamProtocolConfig: &httpv3.HttpProtocolOptions_UseDownstreamHttpConfig{
			HttpProtocolOptions:  &corev3.Http1ProtocolOptions{},
			Http2ProtocolOptions: h2,
		},
	}
}

func explicitHTTP2(h2 *corev3.Http2ProtocolOptions) *httpv3.HttpProtocolOptions_ExplicitHttpConfig_ {
	return &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
		ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{Http2ProtocolOptions: h2},
		},
	}
}

func explicitHTTP1() *httpv3.HttpProtocolOptions_ExplicitHttpConfig_ {
	return &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
		ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_HttpProtocolOptions{HttpProtocolOptions: &corev3.Http1ProtocolOptions{}},
		},
	}
}

// upgradeToH2 reads h2UpgradePolicy. UPGRADE means the user knows the
// upstream speaks HTTP/2; DEFAULT follows the mesh, whose Istio default is
// not to upgrade, and DO_NOT_UPGRADE never downgrades an http2/grpc port.
func upgradeToH2(h *networkingv1.HTTPSettings, r *reporter) bool {
	if h == nil || h.UseClientProtocol {
		return false
	}
	switch h.H2UpgradePolicy {
	case h2Upgrade:
		return true
	case "", h2Default, h2DoNotUpgrade:
		return false
	default:
		r.add(secConnectionPool, "http.h2UpgradePolicy", "unknown value %q", h.H2UpgradePolicy)
		return false
	}
}

// commonHTTPOptions holds the per-connection limits. As in Istio, a TCP
// idle timeout also closes idle HTTP connections unless http.idleTimeout
// says otherwise.
func commonHTTPOptions(cp *networkingv1.ConnectionPoolSettings, r *reporter) *corev3.HttpProtocolOptions {
	if cp == nil {
		return nil
	}
	out := &corev3.HttpProtocolOptions{}
	var tcpIdle *durationpb.Duration
	if cp.TCP != nil {
		tcpIdle = r.idleDuration(secConnectionPool, "tcp.idleTimeout", cp.TCP.IdleTimeout)
		out.MaxConnectionDuration = r.duration(secConnectionPool, "tcp.maxConnectionDuration", cp.TCP.MaxConnectionDuration)
	}
	if cp.HTTP != nil {
		out.IdleTimeout = r.idleDuration(secConnectionPool, "http.idleTimeout", cp.HTTP.IdleTimeout)
		if n := cp.HTTP.MaxRequestsPerConnection; n > 0 {
			out.MaxRequestsPerConnection = wrapperspb.UInt32(uint32(n))
		}
	}
	if out.IdleTimeout == nil {
		out.IdleTimeout = tcpIdle
	}
	if proto.Equal(out, &corev3.HttpProtocolOptions{}) {
		return nil
	}
	return out
}

// marshalAny packs m deterministically, so equal inputs give byte-equal
// snapshots.
func marshalAny(m proto.Message) (*anypb.Any, error) {
	a := &anypb.Any{}
	if err := anypb.MarshalFrom(a, m, proto.MarshalOptions{Deterministic: true}); err != nil {
		return nil, err
	}
	return a, nil
}
