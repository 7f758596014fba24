package deploy

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/envtestbin"
)

// TestDeploymentServesOnlyAuthenticatedXDS: in config/default the control
// plane's Service exposes the authenticated xDS port under Istio's name
// (istiod's https-dns, 15012) on a port the manager container declares,
// and plaintext xDS (15010) is turned off and exposed nowhere.
func TestDeploymentServesOnlyAuthenticatedXDS(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	var svc *corev1.Service
	var deploy *appsv1.Deployment
	for _, o := range render(t, root, "config/default") {
		if o.GetName() != defaults.ControlPlaneService {
			continue
		}
		switch o.GetKind() {
		case "Service":
			svc = &corev1.Service{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, svc); err != nil {
				t.Fatal(err)
			}
		case "Deployment":
			deploy = &appsv1.Deployment{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, deploy); err != nil {
				t.Fatal(err)
			}
		}
	}
	if svc == nil || deploy == nil {
		t.Fatalf("config/default renders no Service or Deployment named %s", defaults.ControlPlaneService)
	}
	var manager *corev1.Container
	for i, c := range deploy.Spec.Template.Spec.Containers {
		if c.Name == "manager" {
			manager = &deploy.Spec.Template.Spec.Containers[i]
		}
	}
	if manager == nil {
		t.Fatal("no manager container")
	}
	declared := map[string]int32{}
	for _, p := range manager.Ports {
		declared[p.Name] = p.ContainerPort
		if p.ContainerPort == defaults.XDSPlaintextPort {
			t.Errorf("the manager declares the plaintext xDS port %d (%s)", p.ContainerPort, p.Name)
		}
	}
	found := false
	for _, p := range svc.Spec.Ports {
		if p.Port == defaults.XDSPlaintextPort {
			t.Errorf("Service port %s exposes plaintext xDS (%d)", p.Name, p.Port)
		}
		if p.Port != defaults.XDSTLSPort {
			continue
		}
		found = true
		if p.Name != "https-dns" || declared[p.TargetPort.String()] != defaults.XDSTLSPort {
			t.Errorf("Service port %d is %q to %q, want https-dns to the manager's %d", p.Port, p.Name, p.TargetPort.String(), defaults.XDSTLSPort)
		}
	}
	if !found {
		t.Errorf("Service %s does not expose the authenticated xDS port %d", svc.Name, defaults.XDSTLSPort)
	}
	if !slices.Contains(manager.Args, "--xds-address=") {
		t.Errorf("manager args %v: want --xds-address= (plaintext xDS off)", manager.Args)
	}
	for _, a := range manager.Args {
		if a == "--xds-address=:15010" {
			t.Errorf("manager still serves plaintext xDS: %s", a)
		}
	}
}
