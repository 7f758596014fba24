// Package authzgrpc checks the RBAC filters sailplane builds for
// proxyless gRPC servers (xds.AuthzHTTPFilters with proxyless set) on a
// real xDS-enabled grpc-go server: grpc-go must accept them (a NACK would
// leave the server not serving) and enforce AuthorizationPolicy on real
// RPCs, changing its answer when the policy changes, without restarts.
//
// The server's inbound listener is built here, in the shape gRPC asks
// for (a non-forwarding route); building it is the proxyless inbound
// work, not this package's. TestMain re-executes the test binary in a
// network namespace of its own with the bootstrap in the environment
// (grpc-go reads it once per process).
package authzgrpc

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/sailplane/sailplane/test/proxyless"
)

const (
	inNetns     = "SAILPLANE_AUTHZGRPC_NETNS"
	controlAddr = "127.0.0.1:15010"
	serverAddr  = "127.0.0.1:8080"
	nodeID      = "sidecar~127.0.0.1~echo-v1.default~default.svc.cluster.local"
	listenerTpl = "grpc/server?xds.resource.listening_address=%s"
)

func bootstrap() string {
	return fmt.Sprintf(`{"xds_servers": [{"server_uri": %q, "channel_creds": [{"type": "insecure"}], "server_features": ["xds_v3"]}],
"node": {"id": %q}, "server_listener_resource_name_template": %q}`, controlAddr, nodeID, listenerTpl)
}

func TestMain(m *testing.M) {
	if os.Getenv(inNetns) == "" {
		os.Exit(proxyless.Reexec(inNetns, "GRPC_XDS_BOOTSTRAP_CONFIG="+bootstrap()))
	}
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "bringing up loopback: %v: %s\n", err, out)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
