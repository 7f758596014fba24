// Package crdgen post-processes the CRDs controller-gen writes from the Go
// types in api/.
//
// controller-gen emits one version per Go package. Istio serves v1, v1beta1
// and v1alpha3 of networking.istio.io with the same schema and no
// conversion, and users apply manifests in all three, so every extra
// version here is a copy of the storage version that is served but not
// stored. Keeping one set of Go types and copying the schema is what makes
// the versions identical by construction.
package crdgen

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/yaml"
)

// AddServedVersions returns the CRD document with each of extra appended to
// spec.versions as a served, non-storage copy of the single version
// controller-gen produced.
func AddServedVersions(doc []byte, extra []string) ([]byte, error) {
	var crd map[string]any
	if err := yaml.Unmarshal(doc, &crd); err != nil {
		return nil, fmt.Errorf("parsing CRD: %w", err)
	}
	spec, _ := crd["spec"].(map[string]any)
	versions, _ := spec["versions"].([]any)
	if len(versions) != 1 {
		return nil, fmt.Errorf("CRD %v: want exactly one generated version, found %d", name(crd), len(versions))
	}
	storage, ok := versions[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("CRD %v: spec.versions[0] is not an object", name(crd))
	}
	for _, v := range extra {
		copied, err := deepCopy(storage)
		if err != nil {
			return nil, err
		}
		copied["name"] = v
		copied["served"] = true
		copied["storage"] = false
		versions = append(versions, copied)
	}
	spec["versions"] = versions
	delete(crd, "status")
	out, err := yaml.Marshal(crd)
	if err != nil {
		return nil, err
	}
	return append([]byte("---\n"), out...), nil
}

func deepCopy(m map[string]any) (map[string]any, error) {
	b, err := yaml.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = yaml.Unmarshal(b, &out)
	return out, err
}

func name(crd map[string]any) any {
	if md, ok := crd["metadata"].(map[string]any); ok {
		return md["name"]
	}
	return "<unnamed>"
}

// SchemasEqual reports whether every version of the CRD carries the same
// schema, subresources and printer columns as the first one, and names
// the first version that differs.
func SchemasEqual(doc []byte) (bool, string, error) {
	var crd struct {
		Spec struct {
			Versions []map[string]any `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(doc, &crd); err != nil {
		return false, "", err
	}
	if len(crd.Spec.Versions) == 0 {
		return false, "", fmt.Errorf("CRD has no versions")
	}
	first := comparable(crd.Spec.Versions[0])
	for _, v := range crd.Spec.Versions[1:] {
		if !bytes.Equal(first, comparable(v)) {
			return false, fmt.Sprint(v["name"]), nil
		}
	}
	return true, "", nil
}

// comparable renders the parts of a version that must not differ between
// versions: everything but its name and its served/storage flags.
func comparable(v map[string]any) []byte {
	c := map[string]any{}
	for k, val := range v {
		switch k {
		case "name", "served", "storage":
		default:
			c[k] = val
		}
	}
	b, _ := yaml.Marshal(c)
	return b
}
