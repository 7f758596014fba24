// Package envtestutil starts the real kube-apiserver and etcd (envtest) with
// sailplane's CRDs installed, for the end-to-end suites under test/.
package envtestutil

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/sailplane/sailplane/internal/debugaccess"
	"github.com/sailplane/sailplane/internal/defaults"
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

// DebugToken gives a test what sailctl gets: a token of ServiceAccount
// sailctl in the control plane's namespace, which may read the debug
// endpoints (the namespace, account and binding are created if missing).
func DebugToken(ctx context.Context, cfg *rest.Config, namespace string) (string, error) {
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return "", err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	if err := debugaccess.Ensure(ctx, c, namespace); err != nil {
		return "", err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	secs := int64(3600)
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, defaults.SailctlServiceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return tr.Status.Token, nil
}

// WaitFor polls ok until it holds, failing the test after timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLogger logs to stderr when SAILPLANE_TEST_LOG is set, else nowhere.
func TestLogger() logr.Logger {
	if os.Getenv("SAILPLANE_TEST_LOG") == "" {
		return logr.Discard()
	}
	return zap.New(zap.UseDevMode(true), zap.Level(zapcore.Level(-2)))
}

// Bearer sends a token as an injected proxy's call credentials do
// (authorization: Bearer <token>), over TLS only.
type Bearer string

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (b Bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (Bearer) RequireTransportSecurity() bool { return true }
