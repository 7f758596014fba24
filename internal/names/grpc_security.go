package names

import (
	"net"
	"strconv"
)

// GRPCServerListenerPrefix is how Istio names the Listener an xDS-enabled
// gRPC server asks for: its bootstrap's
// server_listener_resource_name_template is this prefix followed by "%s",
// which gRPC replaces with the address it listens on ("10.1.2.3:8080",
// "0.0.0.0:8080", "[::]:8080").
const GRPCServerListenerPrefix = "xds.istio.io/grpc/lds/inbound/"

// GRPCServerListenerTemplate is the template a server's bootstrap names.
const GRPCServerListenerTemplate = GRPCServerListenerPrefix + "%s"

// GRPCServerListener is the Listener of a gRPC server listening on
// ip:port, as gRPC spells the address (IPv6 in brackets).
func GRPCServerListener(ip string, port uint32) string {
	return GRPCServerListenerPrefix + net.JoinHostPort(ip, strconv.FormatUint(uint64(port), 10))
}

// GRPCCertProviderInstance is the certificate provider instance (gRFC
// A29) that proxyless gRPC's TLS contexts name, as Istio's do: the
// bootstrap's certificate_providers must define it. Its certificate names
// are the SDS names, WorkloadCertSecret for the key pair and RootCASecret
// for the trust bundle (gRPC's file_watcher plugin ignores them).
const GRPCCertProviderInstance = "default"

// gRPC server listener chain names: one per transport.
const (
	GRPCInboundMTLSChain      = "inbound-mtls"
	GRPCInboundPlaintextChain = "inbound-plaintext"
	GRPCInboundRouteConfig    = "inbound"
)
