package model

import "strings"

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
)

var protocolByName = map[string]Protocol{
	"http": HTTP, "http2": HTTP2, "grpc": GRPC, "grpc-web": GRPCWeb,
	"https": HTTPS, "tls": TLS, "tcp": TCP, "mongo": Mongo,
	"mysql": MySQL, "redis": Redis, "udp": UDP,
	// appProtocol values Kubernetes documents for HTTP/2 cleartext.
	"kubernetes.io/h2c": HTTP2, "h2c": HTTP2,
}

// ParseProtocol maps a protocol name (any case) to a Protocol; unknown
// names are TCP, since sailplane does not sniff protocols.
func ParseProtocol(name string) Protocol {
	if p, ok := protocolByName[strings.ToLower(name)]; ok {
		return p
	}
	return TCP
}

// PortProtocol decides a Kubernetes service port's protocol: appProtocol
// wins, then the port name's prefix before the first "-" ("http-web",
// "grpc"), then TCP. UDP ports stay UDP.
func PortProtocol(name string, appProtocol *string, l4 string) Protocol {
	if strings.EqualFold(l4, "UDP") {
		return UDP
	}
	if appProtocol != nil && *appProtocol != "" {
		return ParseProtocol(*appProtocol)
	}
	prefix := strings.ToLower(name)
	if prefix == "grpc-web" || strings.HasPrefix(prefix, "grpc-web-") {
		return GRPCWeb
	}
	prefix, _, _ = strings.Cut(prefix, "-")
	return ParseProtocol(prefix)
}

// IsHTTP reports whether the proxy routes the port's traffic as HTTP.
func (p Protocol) IsHTTP() bool {
	return p == HTTP || p == HTTP2 || p == GRPC || p == GRPCWeb
}

// IsHTTP2 reports whether the upstream speaks HTTP/2.
func (p Protocol) IsHTTP2() bool { return p == HTTP2 || p == GRPC }
