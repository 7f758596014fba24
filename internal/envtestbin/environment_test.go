package envtestbin

import (
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestEnvironmentTimeouts: a loaded machine needs far more than envtest's
// 20 s to start kube-apiserver; an explicit variable still wins.
func TestEnvironmentTimeouts(t *testing.T) {
	env, err := Environment()
	if err != nil {
		t.Fatal(err)
	}
	if env.ControlPlaneStartTimeout < time.Minute || env.ControlPlaneStopTimeout < time.Minute {
		t.Errorf("start/stop timeouts %v/%v, want at least a minute each", env.ControlPlaneStartTimeout, env.ControlPlaneStopTimeout)
	}
	if env.CRDInstallOptions.MaxTime < time.Minute {
		t.Errorf("CRD wait %v, want at least a minute", env.CRDInstallOptions.MaxTime)
	}
	if env.ErrorIfCRDPathMissing {
		t.Error("no CRD directories given, yet a missing one is an error")
	}

	t.Setenv(envStartTimeout, "7m")
	env, err = Environment(filepath.Join("testdata", "crds"))
	if err != nil {
		t.Fatal(err)
	}
	if env.ControlPlaneStartTimeout != 0 {
		t.Errorf("with $%s set, start timeout %v, want 0 (envtest reads the variable)", envStartTimeout, env.ControlPlaneStartTimeout)
	}
	if !env.ErrorIfCRDPathMissing || !slices.Equal(env.CRDDirectoryPaths, []string{filepath.Join("testdata", "crds")}) {
		t.Errorf("CRD directories %v (must exist: %v)", env.CRDDirectoryPaths, env.ErrorIfCRDPathMissing)
	}
	got := env.ControlPlane.GetAPIServer().Configure().Get("service-cluster-ip-range").Get(nil)
	if !slices.Equal(got, []string{ServiceRange}) {
		t.Errorf("service-cluster-ip-range %v, want [%s]", got, ServiceRange)
	}
}
