// Package grpcmtls proves proxyless gRPC mutual TLS end to end: a real
// xDS-enabled grpc-go server (xds.NewGRPCServer with xDS server
// credentials) and real grpc-go xDS clients, all configured by sailplane
// over ADS, the meshed ones on the authenticated port with certificates
// the mesh CA issued, in files their bootstraps' certificate providers
// (file_watcher) read. PeerAuthentication changes what the server accepts
// while both sides keep running, and AuthorizationPolicies which calls it
// answers (the RBAC filters of the listener sailplane serves it,
// PERMISSION_DENIED otherwise).
//
// kube-apiserver refuses EndpointSlice addresses on 127.0.0.0/8, so the
// suite runs in a network namespace of its own (test/proxyless.Reexec),
// with the pods' addresses on its loopback. Each gRPC node has its own
// bootstrap (xds.NewXDSResolverWithConfigForTesting for clients,
// xds.BootstrapContentsForTesting for the server), so one process holds
// them all.
package grpcmtls

import (
	"fmt"
	"os"
	"testing"

	"github.com/sailplane/sailplane/test/proxyless"
)

const inNetns = "SAILPLANE_GRPCMTLS_NETNS"

func TestMain(m *testing.M) {
	if os.Getenv(inNetns) == "" {
		os.Exit(proxyless.Reexec(inNetns))
	}
	w, stop, err := startWorld()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	world = w
	code := m.Run()
	stop()
	os.Exit(code)
}
