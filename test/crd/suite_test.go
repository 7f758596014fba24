// Package crd tests sailplane's CRDs against the real kube-apiserver and
// etcd: Istio's own manifests are accepted in every served version, bad
// objects are refused with a message naming the field, and the committed
// CRDs match what `make manifests` generates.
package crd

import (
	"fmt"
	"os"
	"testing"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/sailplane/sailplane/test/envtestutil"
)

var (
	cfg  *rest.Config
	dyn  dynamic.Interface
	kube kubernetes.Interface
)

func TestMain(m *testing.M) {
	env, c, err := envtestutil.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg = c
	dyn = dynamic.NewForConfigOrDie(cfg)
	kube = kubernetes.NewForConfigOrDie(cfg)
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping envtest:", err)
	}
	os.Exit(code)
}
