// Package localenv runs sailplane's local mode: a real kube-apiserver and
// etcd (controller-runtime's envtest) with sailplane's CRDs installed, so the
// control plane can be run and poked with kubectl without any cluster.
package localenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/sailplane/sailplane/internal/debugaccess"
	"github.com/sailplane/sailplane/internal/envtestbin"
)

// userName is who the written kubeconfig authenticates as; a name of its own
// tells the human's requests apart from the control plane's in audit logs.
const userName = "sailplane-local"

// Options configures Start. Empty fields take the defaults documented on
// each; both paths are relative to the repository root by default, which
// envtestbin finds from the working directory.
type Options struct {
	// Namespace is created for the control plane (its leader-election
	// Lease lives there). Empty creates none.
	Namespace string
	// KubeconfigPath is where the kubeconfig for the embedded API server is
	// written. Default: <repo>/bin/local/kubeconfig.
	KubeconfigPath string
	// CRDDir holds the CRD manifests to install. Default:
	// <repo>/config/crd/bases.
	CRDDir string
}

// Env is a running embedded API server.
type Env struct {
	env        *envtest.Environment
	cfg        *rest.Config
	kubeconfig string
	log        logr.Logger
}

// Start runs kube-apiserver and etcd, installs the CRDs and waits until they
// are served, writes a kubeconfig and creates the control plane's namespace.
// The caller must call Stop, which also ends the two processes.
func Start(ctx context.Context, log logr.Logger, opts Options) (*Env, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	// Generous start-up timeouts and a /12 service range, so a realistic
	// mesh fits (see envtestbin.Environment).
	env, err := envtestbin.Environment(opts.CRDDir)
	if err != nil {
		return nil, err
	}
	e := &Env{env: env, kubeconfig: opts.KubeconfigPath, log: log}
	log.Info("starting the embedded API server", "binaries", env.BinaryAssetsDirectory, "crds", opts.CRDDir,
		"serviceRange", envtestbin.ServiceRange)
	if e.cfg, err = e.env.Start(); err != nil {
		// Start can fail after the processes are up (e.g. a bad CRD), so
		// always stop, or kube-apiserver and etcd outlive us.
		return nil, errors.Join(fmt.Errorf("starting the embedded API server: %w", err), e.env.Stop())
	}
	if err := e.finishSetup(ctx, opts.Namespace); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	return e, nil
}

// finishSetup does the steps that need the running API server.
func (e *Env) finishSetup(ctx context.Context, namespace string) error {
	if err := e.writeKubeconfig(); err != nil {
		return err
	}
	if namespace == "" {
		return nil
	}
	c, err := newClient(e.cfg)
	if err != nil {
		return err
	}
	if _, err = ensureNamespace(ctx, c, namespace); err != nil {
		return err
	}
	// sailctl proxy-status and proxy-config, as the demo hint prints them,
	// request a token of ServiceAccount sailctl with the local kubeconfig.
	return debugaccess.Ensure(ctx, c, namespace)
}

// Config returns a copy of the admin REST config of the embedded API server.
func (e *Env) Config() *rest.Config {
	return rest.CopyConfig(e.cfg)
}

// KubeconfigPath is the file Start wrote; it works until Stop.
func (e *Env) KubeconfigPath() string {
	return e.kubeconfig
}

// Stop ends the API server and etcd and removes the kubeconfig, whose
// credentials and address die with them.
func (e *Env) Stop() error {
	e.log.Info("stopping the embedded API server")
	err := e.env.Stop()
	if rmErr := os.Remove(e.kubeconfig); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	return err
}

func (o Options) withDefaults() (Options, error) {
	if o.KubeconfigPath != "" && o.CRDDir != "" {
		return o, nil
	}
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		return o, fmt.Errorf("local mode finds the CRDs and bin/ from the repository root: %w", err)
	}
	if o.KubeconfigPath == "" {
		o.KubeconfigPath = filepath.Join(root, "bin", "local", "kubeconfig")
	}
	if o.CRDDir == "" {
		o.CRDDir = filepath.Join(root, "config", "crd", "bases")
	}
	return o, nil
}
