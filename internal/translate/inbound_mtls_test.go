package translate

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds/simulate"
)

// TestInboundMTLSSimulation sends connections into echo-v1's virtualInbound
// under each golden case's PeerAuthentications and checks where they land:
// mesh mutual TLS, plaintext, an application's own TLS and a client
// without a certificate, on the gRPC port 7070, the TCP port 9090 and a
// port no service names.
func TestInboundMTLSSimulation(t *testing.T) {
	const (
		grpc = "inbound|7070||echo.default.svc.cluster.local"
		tcp  = "inbound|9090||echo.default.svc.cluster.local"
		pass = "InboundPassthroughCluster"
	)
	mesh := simulate.Conn{TLS: true, ALPN: []string{"istio"}, ClientCert: true}
	meshH2 := simulate.Conn{TLS: true, ALPN: []string{"istio", "h2"}, ClientCert: true}
	istioHTTP := simulate.Conn{TLS: true, ALPN: []string{"istio-http/1.1"}, ClientCert: true}
	plain := simulate.Conn{}
	appTLS := simulate.Conn{TLS: true, ALPN: []string{"h2"}}
	noCert := simulate.Conn{TLS: true, ALPN: []string{"istio"}}
	type want struct {
		cluster string
		mtls    bool
		refused bool
	}
	ok := func(c string) want { return want{cluster: c} }
	mtls := func(c string) want { return want{cluster: c, mtls: true} }
	refused := want{refused: true}
	for i, tc := range []struct {
		file string
		conn simulate.Conn
		port uint32
		want want
	}{
		{"mtls-inbound-permissive", meshH2, 7070, mtls(grpc)},
		{"mtls-inbound-permissive", istioHTTP, 7070, mtls(grpc)},
		{"mtls-inbound-permissive", plain, 7070, ok(grpc)},
		{"mtls-inbound-permissive", mesh, 9090, mtls(tcp)},
		{"mtls-inbound-permissive", plain, 9090, ok(tcp)},
		{"mtls-inbound-permissive", appTLS, 9090, ok(tcp)},
		{"mtls-inbound-permissive", mesh, 8443, mtls(pass)},
		{"mtls-inbound-permissive", plain, 8443, ok(pass)},
		{"mtls-inbound-strict", mesh, 7070, mtls(grpc)},
		{"mtls-inbound-strict", plain, 7070, refused},
		{"mtls-inbound-strict", noCert, 9090, refused},
		{"mtls-inbound-strict", appTLS, 9090, refused},
		{"mtls-inbound-strict", plain, 8443, refused},
		{"mtls-inbound-strict", mesh, 8443, mtls(pass)},
		{"mtls-inbound-disable", plain, 7070, ok(grpc)},
		{"mtls-inbound-disable", plain, 9090, ok(tcp)},
		{"mtls-inbound-disable", mesh, 9090, ok(tcp)}, // TLS bytes reach the app as they are
		{"mtls-inbound-scopes", meshH2, 7070, mtls(grpc)},
		{"mtls-inbound-scopes", plain, 7070, ok(grpc)},
		{"mtls-inbound-scopes", plain, 9090, ok(tcp)},
		{"mtls-inbound-scopes", mesh, 8443, mtls(pass)},
	} {
		tc.conn.Port = tc.port
		t.Run(fmt.Sprintf("%s/%d/%d", tc.file, tc.port, i), func(t *testing.T) {
			in := filepath.Join("testdata", tc.file+".in.yaml")
			res := runCase(t, in)
			got, err := simulate.Inbound(res.Resources, tc.conn)
			if err != nil {
				t.Fatal(err)
			}
			if (got.Refused != "") != tc.want.refused {
				t.Fatalf("%+v: chain %s refused %q, want refused=%v", tc.conn, got.Chain, got.Refused, tc.want.refused)
			}
			if tc.want.refused {
				return
			}
			if got.Cluster != tc.want.cluster || got.MTLS != tc.want.mtls {
				t.Errorf("%+v: chain %s to %s (mTLS %v), want %s (mTLS %v)", tc.conn, got.Chain, got.Cluster, got.MTLS, tc.want.cluster, tc.want.mtls)
			}
		})
	}
}

// TestSniffedInboundMTLS sends connections into orders-v1's virtualInbound
// (sniffing.yaml: port 8080 names no protocol, 8082 is tcp-admin) under
// each PeerAuthentication mode: Istio's mutual TLS HTTP (ALPN
// istio-http/1.1, istio-h2) is routed as HTTP, other mutual TLS (a
// sailplane client's "istio") is forwarded as TCP, plaintext HTTP/1.1 and
// h2c are HTTP, other plaintext is TCP, and an application's own TLS
// passes through on PERMISSIVE only.
func TestSniffedInboundMTLS(t *testing.T) {
	const (
		sniffed = "inbound|8080||" + ordersHost
		admin   = "inbound|8082||" + ordersHost
	)
	istioHTTP := simulate.Conn{TLS: true, ALPN: []string{"istio-http/1.1"}, ClientCert: true}
	istioH2 := simulate.Conn{TLS: true, ALPN: []string{"istio-h2"}, ClientCert: true}
	mesh := simulate.Conn{TLS: true, ALPN: []string{"istio"}, ClientCert: true}
	plainHTTP := simulate.Conn{HTTP: "http/1.1"}
	plainH2C := simulate.Conn{HTTP: "h2c"}
	plainTCP := simulate.Conn{}
	appTLS := simulate.Conn{TLS: true, ALPN: []string{"h2"}}
	noCert := simulate.Conn{TLS: true, ALPN: []string{"istio-http/1.1"}}
	type want struct {
		chain, cluster string
		http, mtls     bool
		refused        bool
	}
	mtlsChain, plainChain, tlsChain := names.InboundMTLSFilterChain(8080), names.InboundFilterChain(8080), names.InboundTLSFilterChain(8080)
	refused := want{refused: true}
	policies := map[string]string{
		"permissive": "",
		"strict":     paYAML("default", "", "STRICT", ""),
		"disable":    paYAML("default", "", "DISABLE", ""),
		// The workload is STRICT but its sniffed port DISABLEs mutual TLS.
		"mixed": paYAML("orders", "{matchLabels: {app: orders}}", "STRICT", "{8080: {mode: DISABLE}}"),
	}
	for i, tc := range []struct {
		policy string
		conn   simulate.Conn
		port   uint32
		want   want
	}{
		{"permissive", istioHTTP, 8080, want{chain: mtlsChain, cluster: sniffed, http: true, mtls: true}},
		{"permissive", istioH2, 8080, want{chain: mtlsChain, cluster: sniffed, http: true, mtls: true}},
		{"permissive", mesh, 8080, want{chain: mtlsChain, cluster: sniffed, mtls: true}},
		{"permissive", plainHTTP, 8080, want{chain: plainChain, cluster: sniffed, http: true}},
		{"permissive", plainH2C, 8080, want{chain: plainChain, cluster: sniffed, http: true}},
		{"permissive", plainTCP, 8080, want{chain: plainChain, cluster: sniffed}},
		{"permissive", appTLS, 8080, want{chain: tlsChain, cluster: sniffed}},
		{"permissive", noCert, 8080, refused},
		{"permissive", mesh, 8082, want{chain: names.InboundMTLSFilterChain(8082), cluster: admin, mtls: true}},
		{"strict", istioHTTP, 8080, want{chain: mtlsChain, cluster: sniffed, http: true, mtls: true}},
		{"strict", mesh, 8080, want{chain: mtlsChain, cluster: sniffed, mtls: true}},
		{"strict", appTLS, 8080, refused},
		{"strict", plainHTTP, 8080, refused},
		{"strict", plainTCP, 8080, refused},
		{"strict", mesh, 8082, want{chain: names.InboundFilterChain(8082), cluster: admin, mtls: true}},
		{"strict", plainTCP, 8082, refused},
		{"disable", plainHTTP, 8080, want{chain: plainChain, cluster: sniffed, http: true}},
		{"disable", plainTCP, 8080, want{chain: plainChain, cluster: sniffed}},
		{"disable", istioHTTP, 8080, want{chain: plainChain, cluster: sniffed}}, // TLS bytes reach the app as they are
		{"mixed", plainH2C, 8080, want{chain: plainChain, cluster: sniffed, http: true}},
		{"mixed", plainTCP, 8080, want{chain: plainChain, cluster: sniffed}},
		{"mixed", mesh, 8082, want{chain: names.InboundFilterChain(8082), cluster: admin, mtls: true}},
		{"mixed", plainTCP, 8082, refused},
	} {
		tc.conn.Port = tc.port
		t.Run(fmt.Sprintf("%s/%d/%d", tc.policy, tc.port, i), func(t *testing.T) {
			files := []string{"testdata/mesh.base.yaml", "testdata/sniffing.yaml"}
			if pa := policies[tc.policy]; pa != "" {
				f := filepath.Join(t.TempDir(), "pa.yaml")
				if err := os.WriteFile(f, []byte(pa), 0o644); err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			b, _, err := Load(files)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(b, ParseProxy("orders-v1.default"))
			if err != nil {
				t.Fatal(err)
			}
			checkClean(t, "orders-v1.default", res.Resources)
			got, err := simulate.Inbound(res.Resources, tc.conn)
			if err != nil {
				t.Fatal(err)
			}
			if (got.Refused != "") != tc.want.refused {
				t.Fatalf("%+v: chain %s refused %q, want refused=%v", tc.conn, got.Chain, got.Refused, tc.want.refused)
			}
			if tc.want.refused {
				return
			}
			w := tc.want
			if got.Chain != w.chain || got.Cluster != w.cluster || got.HTTP != w.http || got.MTLS != w.mtls {
				t.Errorf("%+v: chain %s to %s (HTTP %v, mTLS %v), want chain %s to %s (HTTP %v, mTLS %v)",
					tc.conn, got.Chain, got.Cluster, got.HTTP, got.MTLS, w.chain, w.cluster, w.http, w.mtls)
			}
		})
	}
}

func paYAML(name, selector, mode, ports string) string {
	s := "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: " + name + ", namespace: default}\nspec:\n  mtls: {mode: " + mode + "}\n"
	if selector != "" {
		s += "  selector: " + selector + "\n"
	}
	if ports != "" {
		s += "  portLevelMtls: " + ports + "\n"
	}
	return s
}
