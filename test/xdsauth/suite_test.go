// Package xdsauth tests internal/xdsauth and sailctl's credentials against
// the real kube-apiserver: it issues the tokens (TokenRequest bound to
// pods), reviews them (TokenReview) and authorizes with RBAC
// (SubjectAccessReview); the gRPC tests run a real TLS server on loopback.
package xdsauth

import (
	"context"
	"fmt"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/envtestbin"
)

var (
	env  *envtest.Environment
	kube kubernetes.Interface
)

// Namespaces of the suite: two meshes' workloads and the control plane.
const (
	nsA          = "mesh-a"
	nsB          = "mesh-b"
	controlPlane = defaults.ControlPlaneNamespace
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	bins, err := envtestbin.Dir()
	if err != nil {
		return 0, err
	}
	env = &envtest.Environment{BinaryAssetsDirectory: bins}
	cfg, err := env.Start()
	if err != nil {
		return 0, fmt.Errorf("starting envtest: %w", err)
	}
	defer func() { _ = env.Stop() }()
	kube = kubernetes.NewForConfigOrDie(cfg)
	for _, ns := range []string{nsA, nsB, controlPlane} {
		_, err := kube.CoreV1().Namespaces().Create(context.Background(),
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil {
			return 0, err
		}
	}
	return m.Run(), nil
}
