package xds

// gatewayConfig builds a gateway proxy's configuration instead of a
// sidecar's capture listeners: a listener bound to each port its Gateways'
// servers use, the route configurations of their HTTP servers, the
// clusters those routes and tcp/tls rules reach, and the Secrets its TLS
// servers terminate with.
func (g *generator) gatewayConfig() {
	g.sniDNAT = map[string]sniDNATTarget{}
	for _, p := range g.gatewayPorts() {
		g.gatewayListener(p)
	}
	g.gatewayClusters()
}
