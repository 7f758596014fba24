package translate

import (
	"fmt"
	"path/filepath"
	"testing"

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
	mesh := simulate.InboundConnection{TLS: true, ALPN: []string{"istio"}, ClientCert: true}
	meshH2 := simulate.InboundConnection{TLS: true, ALPN: []string{"istio", "h2"}, ClientCert: true}
	istioHTTP := simulate.InboundConnection{TLS: true, ALPN: []string{"istio-http/1.1"}, ClientCert: true}
	plain := simulate.InboundConnection{}
	appTLS := simulate.InboundConnection{TLS: true, ALPN: []string{"h2"}}
	noCert := simulate.InboundConnection{TLS: true, ALPN: []string{"istio"}}
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
		conn simulate.InboundConnection
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
			h := header(t, in)
			b, _, err := Load(append(h.with, in))
			if err != nil {
				t.Fatal(err)
			}
			res, err := h.run(b)
			if err != nil {
				t.Fatal(err)
			}
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
