package authzgrpc

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/xds"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	sxds "github.com/sailplane/sailplane/internal/xds"
)

// controlPlane serves the server's listener from a snapshot cache and
// counts NACKs.
type controlPlane struct {
	cache   cachev3.SnapshotCache
	version int
	mu      sync.Mutex
	nacks   []string
}

func startControlPlane(t *testing.T) *controlPlane {
	t.Helper()
	cp := &controlPlane{cache: cachev3.NewSnapshotCache(false, cachev3.IDHash{}, nil)}
	srv := serverv3.NewServer(context.Background(), cp.cache, serverv3.CallbackFuncs{
		StreamRequestFunc: func(_ int64, req *discoveryv3.DiscoveryRequest) error {
			if req.GetErrorDetail() != nil {
				cp.mu.Lock()
				cp.nacks = append(cp.nacks, req.GetErrorDetail().GetMessage())
				cp.mu.Unlock()
			}
			return nil
		},
	})
	lis, err := net.Listen("tcp", controlAddr)
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(g, srv)
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	return cp
}

// firstNack says what grpc-go refused first, if it refused anything.
func (cp *controlPlane) firstNack() string {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if len(cp.nacks) == 0 {
		return ""
	}
	msg := cp.nacks[0]
	if len(msg) > 2000 {
		msg = msg[:2000] + "..."
	}
	return fmt.Sprintf("; grpc-go NACKed %d times, first: %s", len(cp.nacks), msg)
}

func (cp *controlPlane) noNacks(t *testing.T) {
	t.Helper()
	if n := cp.firstNack(); n != "" {
		t.Fatal(n[2:])
	}
}

// serve publishes the server's listener with the RBAC filters the
// policies give the echo workload (namespace default, app=echo).
func (cp *controlPlane) serve(t *testing.T, policies string) []sxds.ObjectProblem {
	t.Helper()
	b := &bundle.Bundle{}
	if _, err := b.Decode("policies.yaml", strings.NewReader(policies)); err != nil {
		t.Fatal(err)
	}
	m := model.Build(b)
	filters, problems := sxds.AuthzHTTPFilters(m, sxds.AuthzTarget{Namespace: "default", Labels: map[string]string{"app": "echo"}, Port: 8080}, true)
	router, _ := anypb.New(&routerv3.Router{})
	filters = append(filters, &hcmv3.HttpFilter{Name: names.RouterFilter, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: router}})
	hcm, _ := anypb.New(&hcmv3.HttpConnectionManager{
		StatPrefix: "inbound",
		RouteSpecifier: &hcmv3.HttpConnectionManager_RouteConfig{RouteConfig: &routev3.RouteConfiguration{
			Name: "inbound",
			VirtualHosts: []*routev3.VirtualHost{{Name: "inbound", Domains: []string{"*"}, Routes: []*routev3.Route{{
				Match:  &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_NonForwardingAction{NonForwardingAction: &routev3.NonForwardingAction{}},
			}}}},
		}},
		HttpFilters: filters,
	})
	host, port, _ := net.SplitHostPort(serverAddr)
	var portNum uint32
	fmt.Sscan(port, &portNum)
	l := &listenerv3.Listener{
		Name: fmt.Sprintf(listenerTpl, serverAddr),
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: portNum},
		}}},
		FilterChains: []*listenerv3.FilterChain{{
			Name:            "inbound",
			Filters:         []*listenerv3.Filter{{Name: names.HTTPConnectionManagerFilter, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: hcm}}},
			TransportSocket: meshMTLS(t),
		}},
	}
	cp.version++
	snap, err := cachev3.NewSnapshot(fmt.Sprint(cp.version), map[resource.Type][]types.Resource{resource.ListenerType: {l}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.cache.SetSnapshot(context.Background(), nodeID, snap); err != nil {
		t.Fatal(err)
	}
	return problems
}

// meshMTLS requires mutual TLS with the certificates of provider "mesh"
// (gRFC A29): the server's own, clients checked against the root.
func meshMTLS(t *testing.T) *corev3.TransportSocket {
	t.Helper()
	tlsCtx, err := anypb.New(&tlsv3.DownstreamTlsContext{
		RequireClientCertificate: wrapperspb.Bool(true),
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificateProviderInstance: &tlsv3.CertificateProviderPluginInstance{InstanceName: "mesh", CertificateName: "default"},
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
				CaCertificateProviderInstance: &tlsv3.CertificateProviderPluginInstance{InstanceName: "mesh", CertificateName: "ROOTCA"},
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &corev3.TransportSocket{Name: names.TLSTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: tlsCtx}}
}

type echoServer struct {
	testgrpc.UnimplementedTestServiceServer
}

func (echoServer) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

func (echoServer) UnaryCall(context.Context, *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	return &testgrpc.SimpleResponse{}, nil
}

// startServer runs an xDS-enabled grpc-go server on serverAddr and waits
// until it serves (it does only once it has accepted its listener).
func startServer(t *testing.T) {
	t.Helper()
	serving := make(chan struct{})
	var once sync.Once
	creds, err := xdscreds.NewServerCredentials(xdscreds.ServerOptions{FallbackCreds: insecure.NewCredentials()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := xds.NewGRPCServer(grpc.Creds(creds), xds.ServingModeCallback(func(_ net.Addr, a xds.ServingModeChangeArgs) {
		if a.Mode == connectivity.ServingModeServing {
			once.Do(func() { close(serving) })
		} else {
			t.Logf("server not serving: %v", a.Err)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	testgrpc.RegisterTestServiceServer(s, echoServer{})
	lis, err := net.Listen("tcp", serverAddr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	select {
	case <-serving:
	case <-time.After(30 * time.Second):
		t.Fatal("the xDS gRPC server never started serving (listener refused or never sent)")
	}
}

const (
	emptyCall = "/grpc.testing.TestService/EmptyCall"
	unaryCall = "/grpc.testing.TestService/UnaryCall"
)

func policy(name, spec string) string {
	return fmt.Sprintf("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: %s, namespace: default}\nspec: %s\n---\n", name, spec)
}

// outcome is the status code of each method, called with the headers.
func outcome(c testgrpc.TestServiceClient, md ...string) map[string]codes.Code {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, md...)
	_, e1 := c.EmptyCall(ctx, &testgrpc.Empty{})
	_, e2 := c.UnaryCall(ctx, &testgrpc.SimpleRequest{})
	return map[string]codes.Code{emptyCall: status.Code(e1), unaryCall: status.Code(e2)}
}

// eventually waits for the server to answer as want: a policy change
// reaches it through xDS, and connections drain to the new listener.
func eventually(t *testing.T, cp *controlPlane, c testgrpc.TestServiceClient, want map[string]codes.Code, md ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got map[string]codes.Code
	for time.Now().Before(deadline) {
		got = outcome(c, md...)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("calls answered %v, want %v%s", got, want, cp.firstNack())
}

// meshClient calls the server over mutual TLS as the service account.
func meshClient(t *testing.T, sa string) testgrpc.TestServiceClient {
	t.Helper()
	cfg, err := clientTLS(os.Getenv(certsEnv), sa)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(serverAddr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return testgrpc.NewTestServiceClient(conn)
}

func both(code codes.Code) map[string]codes.Code {
	return map[string]codes.Code{emptyCall: code, unaryCall: code}
}

func TestProxylessServerEnforcesAuthorizationPolicy(t *testing.T) {
	cp := startControlPlane(t)
	allowFrontend := `{selector: {matchLabels: {app: echo}}, rules: [{from: [{source: {principals: ["cluster.local/ns/default/sa/frontend"]}}], to: [{operation: {paths: [` + emptyCall + `]}}]}]}`
	cp.serve(t, policy("allow-frontend", allowFrontend))
	startServer(t)
	frontend, intruder := meshClient(t, allowed), meshClient(t, other)
	denied := codes.PermissionDenied

	// ALLOW one method for one service account: it may call that method
	// only, the other account nothing.
	eventually(t, cp, frontend, map[string]codes.Code{emptyCall: codes.OK, unaryCall: denied})
	eventually(t, cp, intruder, both(denied))

	// A plaintext client never gets as far as authorization.
	plain, err := grpc.NewClient(serverAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if got := outcome(testgrpc.NewTestServiceClient(plain)); got[emptyCall] != codes.Unavailable {
		t.Errorf("plaintext client got %v, want Unavailable (mutual TLS required)", got)
	}

	// A DENY policy overrides the ALLOW, live.
	cp.serve(t, policy("allow-frontend", allowFrontend)+
		policy("deny-frontend", `{action: DENY, rules: [{from: [{source: {principals: ["*/sa/frontend"]}}], to: [{operation: {paths: ["/grpc.testing.TestService/Empty*"]}}]}]}`))
	eventually(t, cp, frontend, both(denied))

	// Editing the ALLOW policy live: now the namespace with a header.
	cp.serve(t, policy("by-header", `{rules: [{from: [{source: {namespaces: [default], ipBlocks: [127.0.0.0/8]}}], when: [{key: "request.headers[x-user]", values: [alice]}]}]}`))
	eventually(t, cp, intruder, both(codes.OK), "x-user", "alice")
	eventually(t, cp, frontend, both(denied), "x-user", "bob")

	// What gRPC cannot apply is handled conservatively: an ALLOW rule on
	// a JWT is dropped (nothing is allowed), a DENY rule on one denies
	// what else it matches; both reported.
	problems := cp.serve(t, policy("jwt-only", `{rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]}`))
	eventually(t, cp, frontend, both(denied))
	if len(problems) != 1 || !strings.Contains(problems[0].Reason, "proxyless gRPC") {
		t.Errorf("problems %v, want the dropped requestPrincipals rule reported", problems)
	}
	cp.serve(t, policy("allow-all", `{rules: [{}]}`)+
		policy("deny-jwt", `{action: DENY, rules: [{to: [{operation: {paths: [`+unaryCall+`]}}], when: [{key: "request.auth.claims[group]", values: [banned]}]}]}`))
	eventually(t, cp, frontend, map[string]codes.Code{emptyCall: codes.OK, unaryCall: denied})

	// No policy: everything is allowed again.
	cp.serve(t, "")
	eventually(t, cp, intruder, both(codes.OK))
	cp.noNacks(t)
}
