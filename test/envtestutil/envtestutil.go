// Package envtestutil starts the real kube-apiserver and etcd (envtest) with
// sailplane's CRDs installed, for the end-to-end suites under test/.
package envtestutil

import (
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/sailplane/sailplane/internal/envtestbin"
)

// Start runs an API server with the CRDs from config/crd/bases installed
// and established, with envtestbin.Environment's generous timeouts (every
// suite starts its API server here or from that function). The caller stops it with env.Stop().
func Start() (*envtest.Environment, *rest.Config, error) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		return nil, nil, err
	}
	env, err := envtestbin.Environment(filepath.Join(root, "config", "crd", "bases"))
	if err != nil {
		return nil, nil, err
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, fmt.Errorf("starting envtest: %w", err)
	}
	return env, cfg, nil
}

// FreeAddr returns a loopback address with a port nothing listens on, for
// servers that cannot report the port they bound.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
