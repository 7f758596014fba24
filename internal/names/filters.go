package names

// Envoy extension names sailplane configures; the typed configs are
// matched by type URL, these names are what config dumps and logs show.
const (
	HTTPConnectionManagerFilter = "envoy.filters.network.http_connection_manager"
	TCPProxyFilter              = "envoy.filters.network.tcp_proxy"
	RouterFilter                = "envoy.filters.http.router"
	FaultFilter                 = "envoy.filters.http.fault"
	CORSFilter                  = "envoy.filters.http.cors"
	OriginalDstListenerFilter   = "envoy.filters.listener.original_dst"
	TLSInspectorListenerFilter  = "envoy.filters.listener.tls_inspector"
	HTTPInspectorListenerFilter = "envoy.filters.listener.http_inspector"
	TLSTransportSocket          = "envoy.transport_sockets.tls"
)

// Stat prefixes, as Istio names them.
const (
	OutboundStatPrefix = "outbound"
	InboundStatPrefix  = "inbound"
)

// InboundRouteConfig names the inline route configuration of an inbound
// HTTP filter chain.
func InboundRouteConfig(port uint32, host string) string {
	return InboundCluster(port, host)
}
