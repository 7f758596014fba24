package model

import "testing"

func TestPortProtocol(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name string
		app  *string
		l4   string
		port uint32
		want Protocol
	}{
		{"http", nil, "TCP", 80, HTTP},
		{"http-web", nil, "TCP", 80, HTTP},
		{"HTTP2", nil, "TCP", 80, HTTP2},
		{"grpc-api", nil, "TCP", 80, GRPC},
		{"grpc-web", nil, "TCP", 80, GRPCWeb},
		{"grpc-web-ui", nil, "TCP", 80, GRPCWeb},
		{"tcp-db", nil, "TCP", 80, TCP},
		{"tcp", nil, "TCP", 80, TCP},
		{"mysql", nil, "TCP", 80, MySQL},
		// Names that say nothing are detected, as in Istio.
		{"", nil, "TCP", 8080, Auto},
		{"web", nil, "TCP", 8080, Auto},
		{"httpx", nil, "TCP", 8080, Auto},
		{"h2c", nil, "TCP", 8080, Auto},
		// ... except on the well-known ports of server-first protocols.
		{"", nil, "TCP", 3306, TCP},
		{"db", nil, "TCP", 27017, TCP},
		{"", nil, "TCP", 25, TCP},
		{"http", nil, "TCP", 3306, HTTP}, // a declared protocol wins there
		// appProtocol stands in for the name.
		{"web", str("grpc"), "TCP", 80, GRPC},
		{"http", str("tcp"), "TCP", 80, TCP},
		{"http", str("custom.io/thing"), "TCP", 80, Auto},
		{"web", str("http-alt"), "TCP", 80, HTTP},
		{"web", str("kubernetes.io/h2c"), "TCP", 80, HTTP2},
		{"web", str("kubernetes.io/ws"), "TCP", 80, HTTP},
		{"web", str("kubernetes.io/wss"), "TCP", 80, HTTPS},
		{"http", str(""), "TCP", 80, HTTP},
		{"dns", nil, "UDP", 53, UDP},
		{"", nil, "UDP", 8080, UDP},
	} {
		if got := PortProtocol(tc.name, tc.app, tc.l4, tc.port); got != tc.want {
			app := "<nil>"
			if tc.app != nil {
				app = *tc.app
			}
			t.Errorf("PortProtocol(%q, appProtocol %q, %s, %d) = %s, want %s", tc.name, app, tc.l4, tc.port, got, tc.want)
		}
	}
}

// A ServiceEntry port without protocol is detected, as in Istio; the
// well-known-port rule is Kubernetes' only.
func TestParseProtocol(t *testing.T) {
	for in, want := range map[string]Protocol{"": Auto, "HTTP": HTTP, "tcp": TCP, "Mongo": Mongo, "bogus": Auto, "TLS": TLS} {
		if got := ParseProtocol(in); got != want {
			t.Errorf("ParseProtocol(%q) = %s, want %s", in, got, want)
		}
	}
	if !Auto.Sniffed() || TCP.Sniffed() || Auto.IsHTTP() {
		t.Error("Auto is sniffed and not HTTP; TCP is not sniffed")
	}
}
