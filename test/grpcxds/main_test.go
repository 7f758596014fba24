// Package grpcxds drives grpc-go's own xDS client against the running
// control plane: real gRPC backends registered through Services, Pods and
// EndpointSlices, real RPCs routed by VirtualServices.
//
// The world (envtest, the manager, the backends, the network namespace)
// is test/proxyless's. TestMain re-executes the test binary under
// `unshare --net` with the gRPC bootstrap in the environment (grpc-go
// reads it once per process, before the first xDS channel).
package grpcxds

import (
	"os"
	"testing"
	"time"

	"github.com/sailplane/sailplane/test/proxyless"
)

const (
	inNetns   = "SAILPLANE_GRPCXDS_NETNS"
	namespace = "default"
)

// world: the backends have 10.99.0.x addresses; all three versions are
// endpoints at the start.
var world = &proxyless.World{Config: proxyless.Config{
	Namespace: namespace,
	Subnet:    "10.99.0",
	Client:    "client",
	Endpoints: []string{"v1", "v2", "v3"},
	Within:    30 * time.Second,
	Every:     200 * time.Millisecond,
}}

func TestMain(m *testing.M) {
	if os.Getenv(inNetns) == "" {
		os.Exit(proxyless.Reexec(inNetns, "GRPC_XDS_BOOTSTRAP_CONFIG="+world.Bootstrap()))
	}
	os.Exit(world.Run(m))
}
