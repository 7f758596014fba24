package simulate

import (
	"fmt"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tcpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// InboundResult is what virtualInbound does with a connection.
type InboundResult struct {
	Chain   string // the filter chain's name
	Cluster string // where it goes: tcp_proxy's cluster or the inline route's
	// HTTP says the chain routes through an HTTP connection manager.
	HTTP bool
	// MTLS says the chain terminated mutual TLS.
	MTLS bool
	// Refused says why the handshake fails; the connection never reaches
	// the cluster.
	Refused string
}

// Inbound follows a connection captured to virtualInbound: the filter
// chain pickChain selects (its listener filters and matches as Envoy
// evaluates them), the handshake its transport socket asks for, and the
// cluster its tcp_proxy or inline route names.
func Inbound(res *xds.Resources, c Conn) (InboundResult, error) {
	l := listenerNamed(res, names.VirtualInbound)
	if l == nil {
		return InboundResult{}, fmt.Errorf("no listener %s", names.VirtualInbound)
	}
	fc, err := pickChain(l, c)
	if err != nil {
		return InboundResult{Refused: err.Error()}, nil
	}
	r := InboundResult{Chain: fc.GetName()}
	if len(fc.GetFilters()) == 0 {
		r.Refused = "the chain has no network filters: Envoy closes the connection"
		return r, nil
	}
	for _, f := range fc.GetFilters() {
		msg, err := f.GetTypedConfig().UnmarshalNew()
		if err != nil {
			return r, err
		}
		switch cfg := msg.(type) {
		case *tcpv3.TcpProxy:
			r.Cluster = cfg.GetCluster()
		case *hcmv3.HttpConnectionManager:
			r.HTTP = true
			if vh := cfg.GetRouteConfig().GetVirtualHosts(); len(vh) > 0 && len(vh[0].GetRoutes()) > 0 {
				r.Cluster = vh[0].GetRoutes()[0].GetRoute().GetCluster()
			}
		}
	}
	r.MTLS, r.Refused, err = handshake(fc, c)
	return r, err
}

// handshake is what the chain's transport socket does with c: nothing
// without one; with a DownstreamTlsContext a plaintext client, or one with
// no certificate where one is required, is refused.
func handshake(fc *listenerv3.FilterChain, c Conn) (mtls bool, refused string, err error) {
	ts := fc.GetTransportSocket()
	if ts == nil {
		return false, "", nil
	}
	var ctx tlsv3.DownstreamTlsContext
	if err := ts.GetTypedConfig().UnmarshalTo(&ctx); err != nil {
		return false, "", err
	}
	required := ctx.GetRequireClientCertificate().GetValue()
	switch {
	case !c.TLS:
		return false, "plaintext to a chain that requires TLS", nil
	case required && !c.ClientCert:
		return false, "no client certificate", nil
	}
	return required, "", nil
}

// handshakeErr is handshake's refusal (or failure) as an error.
func handshakeErr(l *listenerv3.Listener, fc *listenerv3.FilterChain, c Conn) error {
	_, refused, err := handshake(fc, c)
	switch {
	case err != nil:
		return fmt.Errorf("listener %s, chain %q: %v", l.Name, fc.Name, err)
	case refused != "":
		return fmt.Errorf("listener %s, chain %q: handshake refused: %s", l.Name, fc.Name, refused)
	}
	return nil
}
