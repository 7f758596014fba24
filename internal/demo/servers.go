// Package demo is local mode's sample mesh: small gRPC servers on
// 127.0.0.1 standing in for two versions of a reviews service, the
// ServiceEntry, DestinationRule and VirtualService that put them in the
// mesh, and a client that calls them through xDS the way a proxyless gRPC
// application does.
package demo

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
)

// Host and Port are the demo service's name in the mesh.
const (
	Namespace = "demo"
	Host      = "reviews.demo.local"
	Port      = 9080
)

// Target is what a client dials to reach the demo service through xDS.
var Target = fmt.Sprintf("xds:///%s:%d", Host, Port)

// server answers with its version, so callers can see which one they hit.
type server struct {
	testgrpc.UnimplementedTestServiceServer
	version string
}

func (s *server) UnaryCall(context.Context, *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	return &testgrpc.SimpleResponse{ServerId: s.version}, nil
}

// backend is one running demo server.
type backend struct {
	version string
	port    int
	srv     *grpc.Server
}

func startBackend(version string) (*backend, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := grpc.NewServer()
	testgrpc.RegisterTestServiceServer(s, &server{version: version})
	go func() { _ = s.Serve(lis) }()
	return &backend{version: version, port: lis.Addr().(*net.TCPAddr).Port, srv: s}, nil
}
