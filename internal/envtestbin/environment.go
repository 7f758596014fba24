package envtestbin

import (
	"os"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Generous bounds for starting and stopping kube-apiserver and etcd. envtest's
// defaults (20 s each, 10 s for CRDs to be served) are met easily on an idle
// machine and missed on a loaded one (a CI runner, a laptop building), where
// a fresh kube-apiserver can take a minute to answer /readyz.
const (
	StartTimeout      = 3 * time.Minute
	StopTimeout       = time.Minute
	CRDEstablishedMax = 2 * time.Minute
)

// ServiceRange is the embedded API server's ClusterIP range: a /12 as in
// kubeadm's default (10.96.0.0/12), room for about a million Services.
// envtest's own default is a /24, which runs out after about 250.
const ServiceRange = "10.96.0.0/12"

// Environment variables envtest reads for its timeouts; when one is set it
// wins over the defaults above.
const (
	envStartTimeout = "KUBEBUILDER_CONTROLPLANE_START_TIMEOUT"
	envStopTimeout  = "KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT"
)

// Environment is the one envtest.Environment every suite and the local mode
// start: the binaries from Dir, the CRDs from crdDirs (each must exist),
// generous timeouts and a /12 service range. The caller may add to it (e.g.
// webhooks) before Start.
func Environment(crdDirs ...string) (*envtest.Environment, error) {
	bins, err := Dir()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    bins,
		CRDDirectoryPaths:        crdDirs,
		ErrorIfCRDPathMissing:    len(crdDirs) > 0,
		ControlPlaneStartTimeout: timeout(os.Getenv(envStartTimeout), StartTimeout),
		ControlPlaneStopTimeout:  timeout(os.Getenv(envStopTimeout), StopTimeout),
		CRDInstallOptions:        envtest.CRDInstallOptions{MaxTime: CRDEstablishedMax},
	}
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", ServiceRange)
	return env, nil
}

// timeout is def unless the environment variable names one (then zero, so
// envtest reads and validates the variable itself).
func timeout(fromEnv string, def time.Duration) time.Duration {
	if fromEnv != "" {
		return 0
	}
	return def
}
