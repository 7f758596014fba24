// Command crdversions adds the served copies (v1beta1, v1alpha3) of the
// storage version to every CRD file in a directory. `make manifests` runs
// it right after controller-gen.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
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

func run(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, networkingv1.GroupName+"_*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no %s CRDs in %s", networkingv1.GroupName, dir)
	}
	var extra []string
	for _, gv := range networkingv1.ServedVersions[1:] {
		extra = append(extra, gv.Version)
	}
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		out, err := crdgen.AddServedVersions(in, extra)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if err := os.WriteFile(f, out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
