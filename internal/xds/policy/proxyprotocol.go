package policy

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/proxy_protocol/v3"
	rawbufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// Transport socket names.
const (
	ProxyProtocolTransportSocket = "envoy.transport_sockets.upstream_proxy_protocol"
	RawBufferTransportSocket     = "envoy.transport_sockets.raw_buffer"
)

// applyProxyProtocol sends a PROXY protocol header before anything else on
// upstream connections, so the upstream sees the client's address. It
// wraps the socket already chosen (TLS, or plaintext), since the header
// must precede the TLS handshake.
func applyProxyProtocol(c *clusterv3.Cluster, pp *networkingv1.ProxyProtocol, r *reporter) {
	if pp == nil {
		return
	}
	var v corev3.ProxyProtocolConfig_Version
	switch pp.Version {
	case "", "V1": // V1 is Istio's default
		v = corev3.ProxyProtocolConfig_V1
	case "V2":
		v = corev3.ProxyProtocolConfig_V2
	default:
		r.add(secProxyProtocol, "version", "unknown value %q", pp.Version)
		return
	}
	inner := c.TransportSocket
	if inner == nil {
		rb, err := marshalAny(&rawbufferv3.RawBuffer{})
		if err != nil {
			r.add(secProxyProtocol, "", "cannot encode: %v", err)
			return
		}
		inner = &corev3.TransportSocket{Name: RawBufferTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: rb}}
	}
	a, err := marshalAny(&proxyprotocolv3.ProxyProtocolUpstreamTransport{
		Config:          &corev3.ProxyProtocolConfig{Version: v},
		TransportSocket: inner,
	})
	if err != nil {
		r.add(secProxyProtocol, "", "cannot encode: %v", err)
		return
	}
	c.TransportSocket = &corev3.TransportSocket{
		Name:       ProxyProtocolTransportSocket,
		ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a},
	}
}
