package simulate

import (
	"fmt"
	"slices"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// InboundConnection is a connection captured to virtualInbound.
type InboundConnection struct {
	Port uint32
	// TLS says the client opens with a TLS ClientHello offering ALPN;
	// ClientCert that it presents a certificate.
	TLS        bool
	ALPN       []string
	ClientCert bool
}

// InboundResult is what virtualInbound does with the connection.
type InboundResult struct {
	Chain   string // the filter chain's name
	Cluster string // where it goes: tcp_proxy's cluster or the inline route's
	// MTLS says the chain terminated mutual TLS.
	MTLS bool
	// Refused says why the handshake fails; the connection never reaches
	// the cluster.
	Refused string
}

// Inbound picks virtualInbound's filter chain as Envoy does, level by
// level without going back: destination port (exact, else chains with
// none), transport protocol ("tls" when the TLS inspector runs on the port
// and sees TLS, else "raw_buffer"; exact, else chains with none), then
// application protocols (any offered one listed, else chains with none);
// nothing left means the default chain.
func Inbound(res *xds.Resources, c InboundConnection) (InboundResult, error) {
	var l *listenerv3.Listener
	for _, x := range res.Listeners {
		if x.Name == names.VirtualInbound {
			l = x
		}
	}
	if l == nil {
		return InboundResult{}, fmt.Errorf("no listener %s", names.VirtualInbound)
	}
	transport := names.TransportProtocolRawBuffer
	if c.TLS && inspects(l, c.Port) {
		transport = names.TransportProtocolTLS
	}
	chains := narrow(l.FilterChains, func(m *listenerv3.FilterChainMatch) (bool, bool) {
		p := m.GetDestinationPort()
		return p == nil, p != nil && p.GetValue() == c.Port
	})
	chains = narrow(chains, func(m *listenerv3.FilterChainMatch) (bool, bool) {
		return m.GetTransportProtocol() == "", m.GetTransportProtocol() == transport
	})
	chains = narrow(chains, func(m *listenerv3.FilterChainMatch) (bool, bool) {
		a := m.GetApplicationProtocols()
		return len(a) == 0, transport == names.TransportProtocolTLS && slices.ContainsFunc(c.ALPN, func(p string) bool { return slices.Contains(a, p) })
	})
	fc := l.DefaultFilterChain
	if len(chains) > 0 {
		fc = chains[0]
	}
	if fc == nil {
		return InboundResult{Refused: "no filter chain matches and there is no default"}, nil
	}
	return inboundResult(fc, c)
}

// narrow keeps the chains matching a level exactly, else those that leave
// it unset.
func narrow(in []*listenerv3.FilterChain, level func(*listenerv3.FilterChainMatch) (unset, exact bool)) []*listenerv3.FilterChain {
	var exact, unset []*listenerv3.FilterChain
	for _, fc := range in {
		u, e := level(fc.GetFilterChainMatch())
		switch {
		case e:
			exact = append(exact, fc)
		case u:
			unset = append(unset, fc)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return unset
}

// inspects reports whether the TLS inspector runs for the port: listed,
// and not turned off for it by filter_disabled.
func inspects(l *listenerv3.Listener, port uint32) bool {
	for _, f := range l.ListenerFilters {
		if f.Name == names.TLSInspectorListenerFilter {
			return !predicate(f.GetFilterDisabled(), port)
		}
	}
	return false
}

func predicate(p *listenerv3.ListenerFilterChainMatchPredicate, port uint32) bool {
	switch {
	case p == nil:
		return false
	case p.GetDestinationPortRange() != nil:
		r := p.GetDestinationPortRange()
		return int64(port) >= int64(r.GetStart()) && int64(port) < int64(r.GetEnd())
	case p.GetNotMatch() != nil:
		return !predicate(p.GetNotMatch(), port)
	case p.GetOrMatch() != nil:
		for _, q := range p.GetOrMatch().GetRules() {
			if predicate(q, port) {
				return true
			}
		}
		return false
	}
	return p.GetAnyMatch()
}

func inboundResult(fc *listenerv3.FilterChain, c InboundConnection) (InboundResult, error) {
	r := InboundResult{Chain: fc.GetName()}
	for _, f := range fc.GetFilters() {
		msg, err := f.GetTypedConfig().UnmarshalNew()
		if err != nil {
			return r, err
		}
		switch cfg := msg.(type) {
		case *tcpv3.TcpProxy:
			r.Cluster = cfg.GetCluster()
		case *hcmv3.HttpConnectionManager:
			if vh := cfg.GetRouteConfig().GetVirtualHosts(); len(vh) > 0 && len(vh[0].GetRoutes()) > 0 {
				r.Cluster = vh[0].GetRoutes()[0].GetRoute().GetCluster()
			}
		}
	}
	ts := fc.GetTransportSocket()
	if ts == nil {
		return r, nil
	}
	var ctx tlsv3.DownstreamTlsContext
	if err := ts.GetTypedConfig().UnmarshalTo(&ctx); err != nil {
		return r, err
	}
	switch {
	case !c.TLS:
		r.Refused = "plaintext to a chain that requires TLS"
	case ctx.GetRequireClientCertificate().GetValue() && !c.ClientCert:
		r.Refused = "no client certificate"
	default:
		r.MTLS = ctx.GetRequireClientCertificate().GetValue()
	}
	return r, nil
}
