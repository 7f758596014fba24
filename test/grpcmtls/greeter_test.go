package grpcmtls

import (
	"context"
	"net"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	xdscreds "google.golang.org/grpc/credentials/xds"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/xds"
)

// plaintextPeer is what the greeter answers a caller that sent no
// certificate.
const plaintextPeer = "plaintext"

// greeter answers UnaryCall with the identity its caller proved: the URI
// SAN of the client certificate the TLS handshake verified, or
// plaintextPeer.
type greeterService struct {
	testgrpc.UnimplementedTestServiceServer
}

func (greeterService) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	return &testgrpc.SimpleResponse{ServerId: peerIdentity(ctx)}, nil
}

// EmptyCall answers too, so that authorization can tell two methods of
// one service apart.
func (greeterService) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

func peerIdentity(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "no peer"
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return plaintextPeer
	}
	if len(info.State.PeerCertificates) == 0 {
		return "TLS without a client certificate"
	}
	var out string
	for _, u := range info.State.PeerCertificates[0].URIs {
		out += u.String()
	}
	return out
}

type greeterServer struct {
	srv  *xds.GRPCServer
	done chan struct{}
}

// startGreeter runs the xDS-enabled server on the pod's address: xDS
// server credentials take their TLS settings (or none) from the filter
// chain sailplane sends for the connection, plaintext being the fallback.
func startGreeter(p pod) (*greeterServer, error) {
	creds, err := xdscreds.NewServerCredentials(xdscreds.ServerOptions{FallbackCreds: insecure.NewCredentials()})
	if err != nil {
		return nil, err
	}
	srv, err := xds.NewGRPCServer(grpc.Creds(creds), xds.BootstrapContentsForTesting(p.bootstrap()))
	if err != nil {
		return nil, err
	}
	testgrpc.RegisterTestServiceServer(srv, greeterService{})
	lis, err := net.Listen("tcp", net.JoinHostPort(p.ip, strconv.Itoa(serverPort)))
	if err != nil {
		return nil, err
	}
	g := &greeterServer{srv: srv, done: make(chan struct{})}
	go func() { _ = srv.Serve(lis); close(g.done) }()
	return g, nil
}

func (g *greeterServer) stop() {
	g.srv.Stop()
	<-g.done
}

// dial opens a channel to server as pod p: its own bootstrap (its own xDS client and
// node), connections from its address, and xDS client credentials (which
// follow the cluster's TLS context) or plain insecure ones, which ignore
// it.
func dial(p, server pod, useXDSCreds bool) (*grpc.ClientConn, error) {
	resolver, err := xds.NewXDSResolverWithConfigForTesting(p.bootstrap())
	if err != nil {
		return nil, err
	}
	var creds credentials.TransportCredentials = insecure.NewCredentials()
	if useXDSCreds {
		if creds, err = xdscreds.NewClientCredentials(xdscreds.ClientOptions{FallbackCreds: insecure.NewCredentials()}); err != nil {
			return nil, err
		}
	}
	local := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(p.ip)}}
	return grpc.NewClient(target(server),
		grpc.WithResolvers(resolver),
		grpc.WithTransportCredentials(creds),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return local.DialContext(ctx, "tcp", addr)
		}),
		// A refused handshake must not back off for minutes: the test
		// waits for the next PeerAuthentication to take effect.
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, MaxDelay: time.Second}, MinConnectTimeout: 2 * time.Second}),
	)
}
