package crdgen

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const generated = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.io}
spec:
  group: example.io
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object}}}}
    subresources: {status: {}}
`

func TestAddServedVersionsCopiesTheStorageSchema(t *testing.T) {
	out, err := AddServedVersions([]byte(generated), []string{"v1beta1", "v1alpha3"})
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name    string `json:"name"`
				Served  bool   `json:"served"`
				Storage bool   `json:"storage"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(out, &crd); err != nil {
		t.Fatal(err)
	}
	got := crd.Spec.Versions
	if len(got) != 3 || got[0].Name != "v1" || !got[0].Storage || got[1].Name != "v1beta1" || got[2].Name != "v1alpha3" {
		t.Fatalf("versions %+v", got)
	}
	for _, v := range got[1:] {
		if !v.Served || v.Storage {
			t.Errorf("%s: served=%v storage=%v, want served and not stored", v.Name, v.Served, v.Storage)
		}
	}
	same, differs, err := SchemasEqual(out)
	if err != nil || !same {
		t.Errorf("copies differ from storage: %s %v", differs, err)
	}
}

func TestSchemasEqualNamesTheDifferingVersion(t *testing.T) {
	out, _ := AddServedVersions([]byte(generated), []string{"v1beta1"})
	tampered := strings.Replace(string(out), "status: {}", "status: {}\n    scale: {specReplicasPath: .spec.r, statusReplicasPath: .status.r}", 1)
	same, differs, err := SchemasEqual([]byte(tampered))
	if err != nil {
		t.Fatal(err)
	}
	if same || differs != "v1beta1" {
		t.Errorf("SchemasEqual = %v, %q; want false naming v1beta1", same, differs)
	}
}

func TestAddServedVersionsWantsOneVersion(t *testing.T) {
	two, _ := AddServedVersions([]byte(generated), []string{"v2"})
	if _, err := AddServedVersions(two, []string{"v3"}); err == nil || !strings.Contains(err.Error(), "widgets.example.io") {
		t.Errorf("want an error naming the CRD, got %v", err)
	}
}
