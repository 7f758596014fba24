// Package grpcxds drives grpc-go's own xDS client against the running
// control plane: real gRPC backends registered through Services, Pods and
// EndpointSlices, real RPCs routed by VirtualServices.
//
// kube-apiserver refuses EndpointSlice addresses on 127.0.0.0/8, so the
// test runs inside a network namespace of its own, where the backends get
// 10.99.0.x addresses on the loopback device. TestMain re-executes the test
// binary under `unshare --net` with the gRPC bootstrap in the environment
// (grpc-go reads it once per process, before the first xDS channel).
package grpcxds

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/sailplane/sailplane/internal/demo"
)

const (
	inNetns   = "SAILPLANE_GRPCXDS_NETNS"
	xdsAddr   = "127.0.0.1:15010"
	clientIP  = "10.99.0.5"
	namespace = "default"
)

// backendIPs of the reviews versions; the control plane and the API server
// use loopback.
var backendIPs = map[string]string{"v1": "10.99.0.11", "v2": "10.99.0.12", "v3": "10.99.0.13"}

func TestMain(m *testing.M) {
	if os.Getenv(inNetns) == "" {
		os.Exit(reexecInNetns())
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

func reexecInNetns() int {
	if _, err := exec.LookPath("unshare"); err != nil {
		fmt.Fprintln(os.Stderr, "the gRPC xDS test needs unshare (util-linux) and root:", err)
		return 1
	}
	cmd := exec.Command("unshare", append([]string{"--net", "--", os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), inNetns+"=1", "GRPC_XDS_BOOTSTRAP_CONFIG="+bootstrap())
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
// clients (demo.Bootstrap, locality included): the control plane, and a
// node id and metadata in Istio's proxyless shape.
func bootstrap() string {
	return demo.Bootstrap{
		XDSAddress: xdsAddr,
		NodeID:     fmt.Sprintf("sidecar~%s~client.%s~%s.svc.cluster.local", clientIP, namespace, namespace),
		Namespace:  namespace,
		Labels:     map[string]string{"app": "client"},
	}.JSON()
}

// setupNetns brings up loopback with the test addresses and a default
// route over it (kube-apiserver needs one to pick an address to advertise).
func setupNetns() error {
	cmds := [][]string{{"ip", "link", "set", "lo", "up"}}
	for _, ip := range []string{"10.99.0.1", clientIP, backendIPs["v1"], backendIPs["v2"], backendIPs["v3"]} {
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
