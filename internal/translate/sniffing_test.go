package translate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
	"github.com/sailplane/sailplane/internal/xds/policy"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

const (
	ordersVIP    = "10.96.0.20"
	ordersHost   = "orders.default.svc.cluster.local"
	ordersV1     = "outbound|8080|v1|" + ordersHost
	ordersV2     = "outbound|8080|v2|" + ordersHost
	legacyHost   = "legacy.partner.example"
	sniffedRoute = ordersHost + ":8080"
)

func sniffingRun(t *testing.T, proxy string) *xds.Resources {
	t.Helper()
	b, _, err := Load([]string{"testdata/mesh.base.yaml", "testdata/sniffing.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(b, ParseProxy(proxy))
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, proxy, res.Resources)
	return res.Resources
}

// TestSniffedPortRouting drives sniffing.yaml from the frontend's sidecar:
// on orders' unnamed port 8080, HTTP/1.1 and HTTP/2 requests follow the
// VirtualService's http rules (the header match picks v2), while a
// connection that is not HTTP follows its tcp rule; the port named
// tcp-admin is never routed as HTTP.
func TestSniffedPortRouting(t *testing.T) {
	res := sniffingRun(t, "frontend-v1.default")
	for _, tc := range []struct {
		name      string
		req       simulate.Request
		wantRoute string
		want      string
	}{
		{"canary header", simulate.Request{Address: ordersVIP, Port: 8080, Authority: "orders:8080", Method: "GET", Path: "/", Headers: map[string]string{"x-canary": "true"}}, "canary", ordersV2},
		{"no header", simulate.Request{Address: ordersVIP, Port: 8080, Authority: "orders:8080", Method: "GET", Path: "/"}, "stable", ordersV1},
		{"h2c with header", simulate.Request{Address: ordersVIP, Port: 8080, HTTP2: true, Authority: "orders", Method: "POST", Path: "/x", Headers: map[string]string{"x-canary": "true"}}, "canary", ordersV2},
		{"by address", simulate.Request{Address: ordersVIP, Port: 8080, Authority: ordersVIP + ":8080", Method: "GET", Path: "/"}, "stable", ordersV1},
	} {
		got, err := simulate.HTTP(res, tc.req)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.RouteConfig != sniffedRoute || got.Route != tc.wantRoute || got.Cluster() != tc.want {
			t.Errorf("%s: route %q of %s to %v, want route %q of %s to %s", tc.name, got.Route, got.RouteConfig, got.Clusters, tc.wantRoute, sniffedRoute, tc.want)
		}
	}

	for _, tc := range []struct {
		name string
		conn simulate.Conn
		want string
	}{
		{"raw TCP on the sniffed port takes the tcp rule", simulate.Conn{Address: ordersVIP, Port: 8080}, ordersV1},
		{"TLS on the sniffed port is not HTTP", simulate.Conn{Address: ordersVIP, Port: 8080, TLS: true, SNI: ordersHost}, ordersV1},
		{"tcp-admin is TCP", simulate.Conn{Address: ordersVIP, Port: 8082}, "outbound|8082||" + ordersHost},
		{"unnamed 27017 is TCP", simulate.Conn{Address: ordersVIP, Port: 27017}, "outbound|27017||" + ordersHost},
		{"non-HTTP to 0.0.0.0_9080 goes to the address-less ServiceEntry", simulate.Conn{Address: "203.0.113.9", Port: 9080}, "outbound|9080||" + legacyHost},
	} {
		got, err := simulate.OutboundTCP(res, tc.conn)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.Cluster() != tc.want {
			t.Errorf("%s: %s to %v, want %s", tc.name, got.Listener, got.Clusters, tc.want)
		}
	}

	// A declared TCP port is not sniffed: HTTP there is bytes to forward.
	if got, err := simulate.HTTP(res, simulate.Request{Address: ordersVIP, Port: 8082, Authority: "orders:8082", Method: "GET", Path: "/"}); err == nil {
		t.Errorf("HTTP to the tcp-admin port was routed as HTTP: %+v", got)
	}
	// 0.0.0.0_9080 still routes the HTTP services on 9080, and now the
	// ServiceEntry's host too.
	for authority, want := range map[string]string{
		"reviews:9080":        "outbound|9080||reviews.default.svc.cluster.local",
		legacyHost:            "outbound|9080||" + legacyHost,
		"old.partner.example": "outbound|9080||old.partner.example",
	} {
		got, err := simulate.HTTP(res, simulate.Request{Address: "203.0.113.9", Port: 9080, Authority: authority, Method: "GET", Path: "/"})
		if err != nil || got.Cluster() != want || got.RouteConfig != names.OutboundRouteConfig(9080) {
			t.Errorf("HTTP %s on 9080: %v via %s to %v, want route 9080 to %s", authority, err, got.RouteConfig, got.Clusters, want)
		}
	}
}

// TestSniffedInbound: orders-v1's own port 8080 takes HTTP through an HTTP
// connection manager and other traffic by tcp_proxy, both to the inbound
// cluster; its declared TCP port has one TCP chain.
func TestSniffedInbound(t *testing.T) {
	res := sniffingRun(t, "orders-v1.default")
	inbound := names.InboundCluster(8080, ordersHost)
	for _, h2 := range []bool{false, true} {
		got, err := simulate.InboundHTTP(res, simulate.Request{Port: 8080, HTTP2: h2, Authority: "orders:8080", Method: "GET", Path: "/"})
		if err != nil || got.Cluster() != inbound {
			t.Errorf("inbound HTTP (h2c %v) on 8080: %v, to %v, want %s", h2, err, got.Clusters, inbound)
		}
	}
	for port, want := range map[uint32]string{8080: inbound, 8082: names.InboundCluster(8082, ordersHost)} {
		got, err := simulate.InboundTCP(res, simulate.Conn{Port: port})
		if err != nil || got.Cluster() != want {
			t.Errorf("inbound TCP on %d: %v, to %v, want %s", port, err, got.Clusters, want)
		}
	}
	// The HTTP inspector does not run on 8082: HTTP there is TCP.
	if _, err := simulate.InboundHTTP(res, simulate.Request{Port: 8082, Authority: "orders", Method: "GET", Path: "/"}); err == nil {
		t.Error("HTTP on the declared TCP port 8082 reached an HTTP connection manager")
	}
}

// TestSniffingIsForSidecarsOnly: a gateway's clusters for orders' unnamed
// port do not use the downstream protocol (Istio: a client's ALPN h2 would
// reach an HTTP/1.1 upstream), and neither do a proxyless gRPC client's.
func TestSniffingIsForSidecarsOnly(t *testing.T) {
	edge := filepath.Join(t.TempDir(), "edge.yaml")
	if err := os.WriteFile(edge, []byte(ordersEdge), 0o644); err != nil {
		t.Fatal(err)
	}
	gw := gatewayRun(t, "testdata/mesh.base.yaml", "testdata/sniffing.yaml", edge)
	b, _, err := Load([]string{"testdata/mesh.base.yaml", "testdata/sniffing.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	grpc, err := RunProxyless(b, ParseProxy("frontend-v1.default"))
	if err != nil {
		t.Fatal(err)
	}
	for who, res := range map[string]*xds.Resources{"gateway": gw.Resources, "proxyless": grpc.Resources} {
		seen := false
		for _, c := range res.Clusters {
			if !strings.HasPrefix(c.Name, "outbound|8080|") || !strings.HasSuffix(c.Name, ordersHost) {
				continue
			}
			seen = true
			if _, ok := c.TypedExtensionProtocolOptions[policy.HTTPProtocolOptionsKey]; ok {
				t.Errorf("%s: cluster %s has upstream HTTP options %v", who, c.Name, c.TypedExtensionProtocolOptions)
			}
		}
		if !seen {
			t.Errorf("%s: no cluster for %s:8080", who, ordersHost)
		}
	}
	// gRPC dials orders:8080 as HTTP, with the http rules.
	got, err := simulate.Proxyless(grpc.Resources, simulate.Request{Authority: "orders:8080", Method: "POST", Path: "/svc/Method", Headers: map[string]string{"x-canary": "true"}})
	if err != nil || got.Cluster() != ordersV2 {
		t.Errorf("proxyless call to orders:8080 with the canary header: %v, to %v, want %s", err, got.Clusters, ordersV2)
	}
}

// ordersEdge exposes orders' unnamed port through the ingress gateway.
const ordersEdge = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [orders.example.com]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders-edge, namespace: default}
spec:
  hosts: [orders.example.com]
  gateways: [istio-system/edge]
  http: [{route: [{destination: {host: orders, port: {number: 8080}}}]}]
`
