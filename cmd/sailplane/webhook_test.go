package main

import (
	"testing"

	"github.com/sailplane/sailplane/internal/inject"
)

func TestParseFlagsInjection(t *testing.T) {
	t.Setenv(podNamespaceEnv, "")
	o, err := parseFlags([]string{"--namespace=mesh", "--proxy-image=envoy:x", "--injection-failure-policy=Ignore"})
	if err != nil {
		t.Fatal(err)
	}
	s := o.inject
	if s.ProxyImage != "envoy:x" || s.FailurePolicy != inject.FailurePolicyIgnore ||
		s.ControlPlaneNamespace != "mesh" || s.XDSAddress != "sailplane.mesh.svc:15012" {
		t.Errorf("injection settings %+v", s)
	}
	if w := o.webhookOptions(); w.Certificates == nil || w.Certificates.Namespace != "mesh" {
		t.Errorf("a listening webhook must manage its certificate in the control plane namespace: %+v", w.Certificates)
	}
	local, err := parseFlags([]string{"--local"})
	if err != nil {
		t.Fatal(err)
	}
	if local.webhookOptions().Certificates != nil {
		t.Error("local mode (no webhook server) manages a certificate")
	}
	if _, err := parseFlags([]string{"--hold-application-until-proxy-starts"}); err == nil {
		t.Error("hold without native sidecars was accepted")
	}
}
