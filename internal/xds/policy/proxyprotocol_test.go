package policy

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/proxy_protocol/v3"
	rawbufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

func proxyProtocolSocket(t *testing.T, ts *corev3.TransportSocket) *proxyprotocolv3.ProxyProtocolUpstreamTransport {
	t.Helper()
	if ts == nil || ts.Name != "envoy.transport_sockets.upstream_proxy_protocol" {
		t.Fatalf("transport socket %v, want upstream_proxy_protocol", ts)
	}
	out := &proxyprotocolv3.ProxyProtocolUpstreamTransport{}
	if err := ts.GetTypedConfig().UnmarshalTo(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProxyProtocol(t *testing.T) {
	t.Run("plaintext, default version", func(t *testing.T) {
		c := applyOK(t, &networkingv1.TrafficPolicy{ProxyProtocol: &networkingv1.ProxyProtocol{}}, testOptions())
		pp := proxyProtocolSocket(t, c.TransportSocket)
		protoEqual(t, "config", pp.Config, &corev3.ProxyProtocolConfig{Version: corev3.ProxyProtocolConfig_V1})
		inner := pp.TransportSocket
		if inner.GetName() != "envoy.transport_sockets.raw_buffer" {
			t.Fatalf("inner socket %v", inner)
		}
		if err := inner.GetTypedConfig().UnmarshalTo(&rawbufferv3.RawBuffer{}); err != nil {
			t.Error(err)
		}
	})
	t.Run("wraps TLS, V2", func(t *testing.T) {
		p := &networkingv1.TrafficPolicy{
			ProxyProtocol: &networkingv1.ProxyProtocol{Version: "V2"},
			TLS:           &networkingv1.ClientTLSSettings{Mode: "SIMPLE", SNI: "db.example.com"},
		}
		c := applyOK(t, p, testOptions())
		pp := proxyProtocolSocket(t, c.TransportSocket)
		protoEqual(t, "config", pp.Config, &corev3.ProxyProtocolConfig{Version: corev3.ProxyProtocolConfig_V2})
		if got := tlsContext(t, pp.TransportSocket).GetSni(); got != "db.example.com" {
			t.Errorf("inner TLS sni %q", got)
		}
	})
	t.Run("unknown version", func(t *testing.T) {
		c, errs := applyTo(t, &networkingv1.TrafficPolicy{ProxyProtocol: &networkingv1.ProxyProtocol{Version: "V3"}}, testOptions())
		wantErrors(t, errs, fe("trafficPolicy.proxyProtocol.version", `unknown value "V3"`))
		if c.TransportSocket != nil {
			t.Errorf("got %v", c.TransportSocket)
		}
	})
}

func TestTunnelIsReported(t *testing.T) {
	_, errs := applyTo(t, &networkingv1.TrafficPolicy{Tunnel: &networkingv1.TunnelSettings{TargetHost: "x", TargetPort: 8080}}, testOptions())
	wantErrors(t, errs, fe("trafficPolicy.tunnel", "tunnel is not supported yet"))
}
