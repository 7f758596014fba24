package crd

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/crdgen"
	"github.com/sailplane/sailplane/internal/envtestbin"
)

func crdFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	for _, g := range servedGroups {
		fs, err := filepath.Glob(filepath.Join(dir, g.name+"_*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	if len(files) != servedKinds() {
		t.Fatalf("want %d CRD files in %s, found %v", servedKinds(), dir, files)
	}
	return files
}

func committedCRDDir(t *testing.T) string {
	t.Helper()
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "config", "crd", "bases")
}

func TestCommittedCRDsHaveIdenticalVersionSchemas(t *testing.T) {
	for _, f := range crdFiles(t, committedCRDDir(t)) {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		same, differs, err := crdgen.SchemasEqual(doc)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !same {
			t.Errorf("%s: version %s has a schema different from the storage version", filepath.Base(f), differs)
		}
	}
}

// TestCommittedCRDsAreFresh regenerates the CRDs with `make crds` into a
// temporary directory and fails when the committed ones differ: someone
// changed api/ without running `make manifests`.
func TestCommittedCRDsAreFresh(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	args := []string{"-s", "-C", root, "crds", "CRD_DIR=" + tmp}
	if cg := os.Getenv("SAILPLANE_CONTROLLER_GEN"); cg != "" {
		args = append(args, "CONTROLLER_GEN="+cg)
	}
	out, err := exec.Command("make", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("make crds: %v\n%s", err, out)
	}
	committed := committedCRDDir(t)
	for _, f := range crdFiles(t, tmp) {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(committed, filepath.Base(f)))
		if err != nil {
			t.Errorf("generated %s is not committed: %v", filepath.Base(f), err)
			continue
		}
		if !bytes.Equal(want, got) {
			t.Errorf("config/crd/bases/%s is stale: run `make manifests` and commit the result", filepath.Base(f))
		}
	}
}

// TestServedCRDs checks what the API server made of the CRDs: the names,
// versions and columns Istio users and their tools rely on.
func TestServedCRDs(t *testing.T) {
	client := apiextensionsclient.NewForConfigOrDie(cfg)
	want := map[string]struct {
		kind    string
		short   string
		columns []string
	}{
		"gateways":               {"Gateway", "gw", []string{"Age"}},
		"virtualservices":        {"VirtualService", "vs", []string{"Gateways", "Hosts", "Age"}},
		"destinationrules":       {"DestinationRule", "dr", []string{"Host", "Age"}},
		"serviceentries":         {"ServiceEntry", "se", []string{"Hosts", "Location", "Resolution", "Age"}},
		"peerauthentications":    {"PeerAuthentication", "pa", []string{"Mode", "Age"}},
		"requestauthentications": {"RequestAuthentication", "ra", nil},
		"authorizationpolicies":  {"AuthorizationPolicy", "ap", []string{"Action", "Age"}},
		"sidecars":               {"Sidecar", "", []string{"Age"}},
	}
	for plural, w := range want {
		g := groupOf(w.kind)
		crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(context.Background(),
			plural+"."+g.name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkCRD(t, crd, g, w.short, w.columns)
	}
}

func checkCRD(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition, g servedGroup, short string, columns []string) {
	t.Helper()
	name := crd.Name
	if wantShort := []string{short}; short == "" && len(crd.Spec.Names.ShortNames) != 0 || short != "" && !slices.Equal(crd.Spec.Names.ShortNames, wantShort) {
		t.Errorf("%s: short names %v, want [%s]", name, crd.Spec.Names.ShortNames, short)
	}
	if !slices.Equal(crd.Spec.Names.Categories, []string{"istio-io", g.category}) {
		t.Errorf("%s: categories %v", name, crd.Spec.Names.Categories)
	}
	if crd.Spec.Conversion != nil && crd.Spec.Conversion.Strategy != apiextensionsv1.NoneConverter {
		t.Errorf("%s: conversion strategy %s, want None", name, crd.Spec.Conversion.Strategy)
	}
	var got []string
	for _, v := range crd.Spec.Versions {
		got = append(got, v.Name)
		if !v.Served {
			t.Errorf("%s: version %s not served", name, v.Name)
		}
		if v.Storage != (v.Name == "v1") {
			t.Errorf("%s: version %s storage=%v; only v1 stores", name, v.Name, v.Storage)
		}
		if v.Subresources == nil || v.Subresources.Status == nil {
			t.Errorf("%s: version %s has no status subresource", name, v.Name)
		}
		var cols []string
		for _, c := range v.AdditionalPrinterColumns {
			cols = append(cols, c.Name)
		}
		if !slices.Equal(cols, columns) {
			t.Errorf("%s %s: printer columns %v, want %v", name, v.Name, cols, columns)
		}
	}
	if want := versionsOf(crd.Spec.Names.Kind); !slices.Equal(got, want) {
		t.Errorf("%s: versions %v, want %v", name, got, want)
	}
}
