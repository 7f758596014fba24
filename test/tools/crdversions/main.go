// Command crdversions adds the served copies of the storage version to
// every CRD file in a directory: v1beta1 and v1alpha3 for
// networking.istio.io, v1beta1 for security.istio.io, v1alpha1 for
// telemetry.istio.io; policy.sailplane.io serves its storage version
// only. `make manifests` runs
// it right after controller-gen.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime/schema"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
	"github.com/sailplane/sailplane/internal/crdgen"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdversions DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "crdversions:", err)
		os.Exit(1)
	}
}

// groups are the API groups sailplane serves, each with its served
// versions, storage first.
var groups = map[string][]schema.GroupVersion{
	networkingv1.GroupName:   networkingv1.ServedVersions,
	securityv1.GroupName:     securityv1.ServedVersions,
	telemetryv1.GroupName:    telemetryv1.ServedVersions,
	policyv1alpha1.GroupName: policyv1alpha1.ServedVersions,
}

func run(dir string) error {
	for group, served := range groups {
		files, err := filepath.Glob(filepath.Join(dir, group+"_*.yaml"))
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("no %s CRDs in %s", group, dir)
		}
		var extra []string
		for _, gv := range served[1:] {
			extra = append(extra, gv.Version)
		}
		if len(extra) == 0 {
			continue
		}
		for _, f := range files {
			if err := addVersions(f, extra); err != nil {
				return err
			}
		}
	}
	return nil
}

func addVersions(f string, extra []string) error {
	in, err := os.ReadFile(f)
	if err != nil {
		return err
	}
	out, err := crdgen.AddServedVersions(in, extra)
	if err != nil {
		return fmt.Errorf("%s: %w", f, err)
	}
	return os.WriteFile(f, out, 0o644)
}
