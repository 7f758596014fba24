// Package grpcjs drives grpc-js-xds, gRPC's Node.js xDS client, against
// the running control plane, next to test/grpcxds's grpc-go: the same
// interop TestService backends registered through Services, Pods and
// EndpointSlices, the same VirtualServices, and a Node client (client.js)
// that prints one JSON line per call for the test to judge.
//
// The world (envtest, the manager, the backends, the network namespace)
// is test/proxyless's, as test/grpcxds's is. TestMain runs `npm ci` first
// (the namespace has no route to the registry), writes the bootstrap, and
// re-executes the test binary under `unshare --net`.
package grpcjs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sailplane/sailplane/test/proxyless"
)

const (
	inNetns   = "SAILPLANE_GRPCJS_NETNS"
	namespace = "grpcjs"
)

// world: the backends have 10.99.1.x addresses; v1 and v2 are endpoints
// at the start.
var world = &proxyless.World{Config: proxyless.Config{
	Namespace: namespace,
	Subnet:    "10.99.1",
	Client:    "jsclient",
	Endpoints: []string{"v1", "v2"},
	Within:    45 * time.Second,
	Every:     250 * time.Millisecond,
}}

// noNode says why the tests skip: node or npm is not installed. .ci/run
// installs both, so CI always runs them.
var noNode string

func TestMain(m *testing.M) {
	if os.Getenv(inNetns) == "" {
		var missing []string
		for _, tool := range []string{"node", "npm"} {
			if _, err := exec.LookPath(tool); err != nil {
				missing = append(missing, tool)
			}
		}
		if len(missing) > 0 {
			noNode = fmt.Sprintf("the grpc-js test needs Node.js 18 or later and npm; not on PATH: %s", strings.Join(missing, ", "))
		}
		if noNode != "" {
			os.Exit(m.Run())
		}
		os.Exit(prepareAndReexec())
	}
	os.Exit(world.Run(m))
}

// prepareAndReexec installs the client's locked dependencies, writes its
// bootstrap, and runs the tests in a fresh network namespace.
func prepareAndReexec() int {
	npm := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	npm.Stdout, npm.Stderr = os.Stderr, os.Stderr
	if err := npm.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "npm ci in test/grpcjs:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "sailplane-grpcjs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bootstrap.json")
	if err := os.WriteFile(path, []byte(world.Bootstrap()), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return proxyless.Reexec(inNetns, "GRPC_XDS_BOOTSTRAP="+path)
}
