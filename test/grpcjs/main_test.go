// Package grpcjs drives grpc-js-xds, gRPC's Node.js xDS client, against
// the running control plane, next to test/grpcxds's grpc-go: the same
// interop TestService backends registered through Services, Pods and
// EndpointSlices, the same VirtualServices, and a Node client (client.js)
// that prints one JSON line per call for the test to judge.
//
// As in test/grpcxds, kube-apiserver refuses EndpointSlice addresses on
// 127.0.0.0/8, so the test runs in a network namespace of its own where
// the backends have 10.99.1.x addresses on the loopback device. TestMain
// runs `npm ci` first (the namespace has no route to the registry), writes
// the bootstrap, and re-executes the test binary under `unshare --net`.
package grpcjs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sailplane/sailplane/internal/demo"
)

const (
	inNetns   = "SAILPLANE_GRPCJS_NETNS"
	xdsAddr   = "127.0.0.1:15010"
	clientIP  = "10.99.1.5"
	namespace = "grpcjs"
)

// jsNode is the grpc-js client's node id, in Istio's proxyless shape.
var jsNode = fmt.Sprintf("sidecar~%s~jsclient.%s~%s.svc.cluster.local", clientIP, namespace, namespace)

// backendIPs of the reviews versions; the control plane and the API server
// use loopback.
var backendIPs = map[string]string{"v1": "10.99.1.11", "v2": "10.99.1.12", "v3": "10.99.1.13"}

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
	if err := setupNetns(); err != nil {
		fmt.Fprintln(os.Stderr, "network namespace setup:", err)
		os.Exit(1)
	}
	stop, err := startWorld()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// prepareAndReexec installs the client's locked dependencies, writes its
// bootstrap, and runs the tests in a fresh network namespace.
func prepareAndReexec() int {
	if _, err := exec.LookPath("unshare"); err != nil {
		fmt.Fprintln(os.Stderr, "the grpc-js test needs unshare (util-linux) and root:", err)
		return 1
	}
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
	if err := os.WriteFile(path, []byte(bootstrap()), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cmd := exec.Command("unshare", append([]string{"--net", "--", os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), inNetns+"=1", "GRPC_XDS_BOOTSTRAP="+path)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "re-executing in a network namespace:", err)
		return 1
	}
	return 0
}

// bootstrap is the xDS bootstrap sailplane generates for proxyless
// clients (demo.Bootstrap: plaintext ADS, Istio's node shape, and the
// locality grpc-js-xds insists on).
func bootstrap() string {
	return demo.Bootstrap{
		XDSAddress: xdsAddr,
		NodeID:     jsNode,
		Namespace:  namespace,
		Labels:     map[string]string{"app": "jsclient"},
	}.JSON()
}

// setupNetns brings up loopback with the test addresses and a default
// route over it (kube-apiserver needs one to pick an address to advertise).
func setupNetns() error {
	cmds := [][]string{{"ip", "link", "set", "lo", "up"}}
	for _, ip := range []string{"10.99.1.1", clientIP, backendIPs["v1"], backendIPs["v2"], backendIPs["v3"]} {
		cmds = append(cmds, []string{"ip", "addr", "add", ip + "/32", "dev", "lo"})
	}
	cmds = append(cmds, []string{"ip", "route", "add", "default", "dev", "lo"})
	for _, c := range cmds {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%v: %v: %s", c, err, out)
		}
	}
	return nil
}
