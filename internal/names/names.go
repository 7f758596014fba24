// Package names builds every xDS resource name sailplane emits, in the shapes
// `istioctl proxy-config` shows for Istio, so users' runbooks, dashboards and
// muscle memory carry over. No other package formats a resource name.
package names

import (
	"fmt"
	"strconv"
	"strings"
)

// Well-known listeners and clusters.
const (
	VirtualOutbound           = "virtualOutbound"
	VirtualInbound            = "virtualInbound"
	BlackHoleCluster          = "BlackHoleCluster"
	PassthroughCluster        = "PassthroughCluster"
	InboundPassthroughCluster = "InboundPassthroughCluster"
	AllowAnyVirtualHost       = "allow_any"
	BlockAllVirtualHost       = "block_all"
	WildcardAddress           = "0.0.0.0"
)

// Direction is the first field of a service cluster name.
type Direction string

const (
	Outbound Direction = "outbound"
	Inbound  Direction = "inbound"
)

// OutboundCluster is `outbound|<port>|<subset>|<fqdn>`.
func OutboundCluster(port uint32, subset, host string) string {
	return fmt.Sprintf("outbound|%d|%s|%s", port, subset, host)
}

// InboundCluster is `inbound|<port>||<fqdn>`.
func InboundCluster(port uint32, host string) string {
	return fmt.Sprintf("inbound|%d||%s", port, host)
}

// ClusterKey is a parsed service cluster name.
type ClusterKey struct {
	Direction Direction
	Port      uint32
	Subset    string
	Host      string
}

// ParseCluster splits a service cluster name; ok is false for the special
// clusters and anything else not of the four-part shape.
func ParseCluster(name string) (ClusterKey, bool) {
	// Four parts, cut in place: the endpoint-only path parses every
	// cluster name of every outbound half, and splitting allocated.
	if strings.Count(name, "|") != 3 {
		return ClusterKey{}, false
	}
	dir, rest, _ := strings.Cut(name, "|")
	portText, rest, _ := strings.Cut(rest, "|")
	subset, host, _ := strings.Cut(rest, "|")
	port, err := strconv.ParseUint(portText, 10, 32)
	if err != nil {
		return ClusterKey{}, false
	}
	d := Direction(dir)
	if d != Outbound && d != Inbound {
		return ClusterKey{}, false
	}
	return ClusterKey{Direction: d, Port: uint32(port), Subset: subset, Host: host}, true
}

// OutboundHTTPListener is `0.0.0.0_<port>`; HTTP traffic for every service
// on the port shares it and its route configuration.
func OutboundHTTPListener(port uint32) string {
	return fmt.Sprintf("%s_%d", WildcardAddress, port)
}

// OutboundTCPListener is `<vip>_<port>` for a TCP service.
func OutboundTCPListener(vip string, port uint32) string {
	return fmt.Sprintf("%s_%d", vip, port)
}

// OutboundRouteConfig is the route configuration of an outbound HTTP port:
// just the port number.
func OutboundRouteConfig(port uint32) string {
	return strconv.FormatUint(uint64(port), 10)
}

// SniffedRouteConfig is the route configuration of the HTTP chain of a
// sniffed (auto-protocol) service port that has its own listener
// `<vip>_<port>`: `<fqdn>:<port>`, holding that service only.
func SniffedRouteConfig(host string, port uint32) string {
	return fmt.Sprintf("%s:%d", host, port)
}

// GatewayHTTPRouteConfig is `http.<port>` for a gateway's plain HTTP server.
func GatewayHTTPRouteConfig(port uint32) string {
	return fmt.Sprintf("http.%d", port)
}

// VirtualHost is `<fqdn>:<port>`.
func VirtualHost(host string, port uint32) string {
	return fmt.Sprintf("%s:%d", host, port)
}

// InboundFilterChain names virtualInbound's chain for a workload port.
func InboundFilterChain(port uint32) string {
	return fmt.Sprintf("%s_%d", WildcardAddress, port)
}

// ServiceFQDN is `<name>.<namespace>.svc.<domain>`.
func ServiceFQDN(name, namespace, domain string) string {
	return fmt.Sprintf("%s.%s.svc.%s", name, namespace, domain)
}
