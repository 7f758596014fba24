package names

import "fmt"

// ALPN values of Istio's mutual TLS between workloads. A client proxy
// offers ALPNIstio (Istio's, with its ALPN filter, the istio-http/* and
// istio-h2 forms; with metadata exchange, istio-peer-exchange); a server
// proxy tells mesh traffic from an application's own TLS by them.
const (
	ALPNIstio             = "istio"
	ALPNIstioPeerExchange = "istio-peer-exchange"
	ALPNIstioHTTP10       = "istio-http/1.0"
	ALPNIstioHTTP11       = "istio-http/1.1"
	ALPNIstioH2           = "istio-h2"
	ALPNH2                = "h2"
	ALPNHTTP11            = "http/1.1"
)

// Envoy's transport protocol names (filter_chain_match
// transport_protocol): "tls" as the TLS inspector sets it, "raw_buffer"
// for a connection on which no listener filter detected TLS.
const (
	TransportProtocolTLS       = "tls"
	TransportProtocolRawBuffer = "raw_buffer"
)

// MTLSTCPALPNs are the ALPN values mesh clients offer to a TCP port.
func MTLSTCPALPNs() []string { return []string{ALPNIstioPeerExchange, ALPNIstio} }

// MTLSHTTPALPNs are the ALPN values mesh clients offer to an HTTP port.
func MTLSHTTPALPNs() []string {
	return []string{ALPNIstioHTTP10, ALPNIstioHTTP11, ALPNIstioH2, ALPNIstio}
}

// MTLSSniffedHTTPALPNs are the ALPN values by which a server proxy tells
// mutual TLS HTTP from TCP on a port whose protocol is detected: Istio's
// istio-http/* and istio-h2, never the plain "istio" its TCP chain takes.
func MTLSSniffedHTTPALPNs() []string {
	return []string{ALPNIstioHTTP10, ALPNIstioHTTP11, ALPNIstioH2}
}

// InboundHTTPALPNs are what a server proxy negotiates on an HTTP port.
func InboundHTTPALPNs() []string { return []string{ALPNH2, ALPNHTTP11} }

// OutboundMTLSALPNs are what a client proxy offers over mutual TLS: "istio"
// (and "h2" to an HTTP/2 upstream). Upstream Envoy has no metadata exchange
// filter, so istio-peer-exchange is never offered.
func OutboundMTLSALPNs(h2 bool) []string {
	if h2 {
		return []string{ALPNIstio, ALPNH2}
	}
	return []string{ALPNIstio}
}

// MTLSSNI is the SNI a client proxy sends over mutual TLS:
// `outbound_.<port>_.<subset>_.<fqdn>` (Istio's DNS-safe cluster key; a
// gateway in AUTO_PASSTHROUGH routes by it).
func MTLSSNI(port uint32, subset, host string) string {
	return fmt.Sprintf("outbound_.%d_.%s_.%s", port, subset, host)
}

// InboundMTLSFilterChain names virtualInbound's mutual TLS chain of a
// PERMISSIVE port; InboundTLSFilterChain the chain that passes an
// application's own TLS through on a PERMISSIVE TCP port.
func InboundMTLSFilterChain(port uint32) string { return InboundFilterChain(port) + "_mtls" }

// InboundTLSFilterChain: see InboundMTLSFilterChain.
func InboundTLSFilterChain(port uint32) string { return InboundFilterChain(port) + "_tls" }

// InboundPassthroughMTLSFilterChain terminates mutual TLS to a port no
// service names, for a PERMISSIVE workload.
const InboundPassthroughMTLSFilterChain = InboundPassthroughCluster + "_mtls"

// Transport socket match names on outbound clusters (auto mTLS), as Istio's.
const (
	TransportSocketMatchIstio    = "tlsMode-istio"
	TransportSocketMatchDisabled = "tlsMode-disabled"
	RawBufferTransportSocket     = "envoy.transport_sockets.raw_buffer"
)

// Endpoint metadata auto mTLS matches on: filter
// envoy.transport_socket_match, key tlsMode, value istio.
const (
	TransportSocketMatchFilter = "envoy.transport_socket_match"
	TLSModeKey                 = "tlsMode"
	TLSModeIstio               = "istio"
)
