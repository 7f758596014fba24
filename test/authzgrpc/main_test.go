// Package authzgrpc checks the RBAC filters sailplane builds for
// proxyless gRPC servers (xds.AuthzHTTPFilters with proxyless set) on a
// real xDS-enabled grpc-go server that demands mutual TLS with
// certificates from the mesh CA: grpc-go must accept the filters (a NACK
// would leave the server not serving) and enforce AuthorizationPolicy on
// real RPCs from clients with their own service accounts' certificates,
// changing its answer when the policy changes, without restarts.
//
// The server's inbound listener is built here, in the shape gRPC asks
// for (a non-forwarding route), and served from a snapshot cache: a fast
// check of the filter function alone (header, ipBlocks and JWT-claim
// rules). test/grpcmtls runs AuthorizationPolicy end to end on the
// listener sailplane itself serves. TestMain re-executes the test binary in a
// network namespace of its own with the bootstrap in the environment
// (grpc-go reads it once per process).
package authzgrpc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sailplane/sailplane/test/proxyless"
)

const (
	inNetns     = "SAILPLANE_AUTHZGRPC_NETNS"
	certsEnv    = "SAILPLANE_AUTHZGRPC_CERTS"
	controlAddr = "127.0.0.1:15010"
	serverAddr  = "127.0.0.1:8080"
	nodeID      = "sidecar~127.0.0.1~echo-v1.default~default.svc.cluster.local"
	listenerTpl = "grpc/server?xds.resource.listening_address=%s"
)

// bootstrap is the server's: the control plane, its node, the listener
// name template, and certificate provider "mesh" (gRFC A29's
// file_watcher) holding the server's mesh certificate and the root.
func bootstrap(certs string) string {
	return fmt.Sprintf(`{"xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
"node": {"id": %q}, "server_listener_resource_name_template": %q,
"certificate_providers": {"mesh": {"plugin_name": "file_watcher", "config": {
  "certificate_file": %q, "private_key_file": %q, "ca_certificate_file": %q, "refresh_interval": "600s"}}}}`,
		controlAddr, nodeID, listenerTpl,
		filepath.Join(certs, serverSA+".pem"), filepath.Join(certs, serverSA+".key"), filepath.Join(certs, "root.pem"))
}

func TestMain(m *testing.M) {
	if os.Getenv(inNetns) == "" {
		certs, err := os.MkdirTemp("", "authzgrpc")
		if err == nil {
			err = writeCerts(certs)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "mesh certificates:", err)
			os.Exit(1)
		}
		code := proxyless.Reexec(inNetns, "GRPC_XDS_BOOTSTRAP_CONFIG="+bootstrap(certs), certsEnv+"="+certs)
		os.RemoveAll(certs)
		os.Exit(code)
	}
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "bringing up loopback: %v: %s\n", err, out)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
