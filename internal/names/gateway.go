package names

import "fmt"

// GatewayListener is `0.0.0.0_<port>`: a gateway proxy has one listener per
// port it serves, bound to that port. The shape is the sidecar's outbound
// HTTP listener's; only the binding differs.
func GatewayListener(port uint32) string {
	return fmt.Sprintf("%s_%d", WildcardAddress, port)
}

// GatewayHTTPSRouteConfig is `https.<port>.<portName>.<gateway>.<namespace>`,
// the route configuration of one HTTPS server that terminates TLS. Every
// such server has its own, so a certificate only ever serves its server's
// hosts. port is the server's port number as the Gateway writes it.
func GatewayHTTPSRouteConfig(port uint32, portName, gateway, namespace string) string {
	return fmt.Sprintf("https.%d.%s.%s.%s", port, portName, gateway, namespace)
}

// GatewayBlackHoleVirtualHost names the catch-all virtual host of a gateway
// route configuration that no VirtualService fills: every request gets 404.
func GatewayBlackHoleVirtualHost(port uint32) string {
	return VirtualHost("blackhole", port)
}

// SNIDNATCluster is `outbound_.<port>_.<subset>_.<fqdn>`, the cluster an
// AUTO_PASSTHROUGH gateway server forwards a connection to when the client
// sends that name as its SNI. It is the outbound cluster name written with
// characters a DNS name (and so an SNI) may carry.
func SNIDNATCluster(port uint32, subset, host string) string {
	return fmt.Sprintf("outbound_.%d_.%s_.%s", port, subset, host)
}
