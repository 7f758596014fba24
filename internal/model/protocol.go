package model

import (
	"strings"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Protocol is the application protocol of a port, as Istio derives it from
// the port name prefix or appProtocol.
type Protocol string

const (
	HTTP    Protocol = "HTTP"
	HTTP2   Protocol = "HTTP2"
	GRPC    Protocol = "GRPC"
	GRPCWeb Protocol = "GRPC-Web"
	HTTPS   Protocol = "HTTPS"
	TLS     Protocol = "TLS"
	TCP     Protocol = "TCP"
	Mongo   Protocol = "Mongo"
	MySQL   Protocol = "MySQL"
	Redis   Protocol = "Redis"
	UDP     Protocol = "UDP"
	// Auto is a port whose name, appProtocol or ServiceEntry protocol
	// names no protocol (Istio's "UnsupportedProtocol"): sidecars detect
	// HTTP/1.1 and HTTP/2 on it per connection and treat the rest as TCP.
	// An explicit "tcp" stays TCP and is never sniffed.
	Auto Protocol = "Auto"
)

var protocolByName = map[string]Protocol{
	"http": HTTP, "http2": HTTP2, "grpc": GRPC, "grpc-web": GRPCWeb,
	"https": HTTPS, "tls": TLS, "tcp": TCP, "mongo": Mongo,
	"mysql": MySQL, "redis": Redis, "udp": UDP,
}

// kubernetesAppProtocols are the prefixed appProtocol values Kubernetes
// defines; Istio maps them before looking at prefixes.
var kubernetesAppProtocols = map[string]Protocol{
	"kubernetes.io/h2c": HTTP2, // HTTP/2 with prior knowledge over cleartext
	"kubernetes.io/ws":  HTTP,  // WebSocket over cleartext
	"kubernetes.io/wss": HTTPS, // WebSocket over TLS
}

// ParseProtocol maps a protocol name (any case) to a Protocol; an empty or
// unknown name is Auto, as a ServiceEntry port without protocol is in
// Istio.
func ParseProtocol(name string) Protocol {
	if p, ok := protocolByName[strings.ToLower(name)]; ok {
		return p
	}
	return Auto
}

// PortProtocol decides a Kubernetes service port's protocol as Istio does:
// UDP ports stay UDP; appProtocol, when set, stands in for the port name;
// Kubernetes' own appProtocol values map first; then the prefix before the
// first "-" ("http-web", "grpc"; "grpc-web..." as a whole). A port that
// names no protocol is Auto, except on the well-known ports of server-first
// protocols, which are TCP.
func PortProtocol(name string, appProtocol *string, l4 string, number uint32) Protocol {
	if strings.EqualFold(l4, "UDP") {
		return UDP
	}
	if appProtocol != nil && *appProtocol != "" {
		name = *appProtocol
		if p, ok := kubernetesAppProtocols[name]; ok {
			return p
		}
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "grpc-web") {
		return GRPCWeb
	}
	prefix, _, _ := strings.Cut(lower, "-")
	p := ParseProtocol(prefix)
	if p == Auto && defaults.NotSniffedPorts[number] {
		return TCP
	}
	return p
}

// IsHTTP reports whether the proxy routes the port's traffic as HTTP.
func (p Protocol) IsHTTP() bool {
	return p == HTTP || p == HTTP2 || p == GRPC || p == GRPCWeb
}

// IsHTTP2 reports whether the upstream speaks HTTP/2.
func (p Protocol) IsHTTP2() bool { return p == HTTP2 || p == GRPC }

// Sniffed reports whether sidecars detect the protocol per connection.
func (p Protocol) Sniffed() bool { return p == Auto }
