package crd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// versions are the served versions of networking.istio.io, storage first.
func versions() []string { return versionsOf("VirtualService") }

// versionsOf are the served versions of the kind's group, storage first.
func versionsOf(kind string) []string {
	var out []string
	for _, gv := range groupOf(kind).versions {
		out = append(out, gv.Version)
	}
	return out
}

func gvr(version, kind string) schema.GroupVersionResource {
	g := groupOf(kind)
	return schema.GroupVersionResource{Group: g.name, Version: version, Resource: g.kinds[kind]}
}

// readDocs decodes every YAML document of a file; empty documents are
// dropped.
func readDocs(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(obj) > 0 {
			out = append(out, &unstructured.Unstructured{Object: obj})
		}
	}
}

// isIstio reports whether the object belongs to one of Istio's API groups.
func isIstio(u *unstructured.Unstructured) bool {
	return strings.HasSuffix(u.GroupVersionKind().Group, "istio.io")
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := kube.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}

// createAs creates a copy of obj as apiVersion <its group>/<version>
// in namespace ns. Strict field validation makes an unknown field an error
// instead of being pruned silently, the way kubectl apply behaves.
func createAs(obj *unstructured.Unstructured, version, ns string) (*unstructured.Unstructured, error) {
	c := obj.DeepCopy()
	c.SetAPIVersion(groupOf(c.GetKind()).name + "/" + version)
	c.SetNamespace(ns)
	c.SetResourceVersion("")
	return dyn.Resource(gvr(version, c.GetKind())).Namespace(ns).Create(context.Background(), c,
		metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict})
}

func get(kind, version, ns, name string) (*unstructured.Unstructured, error) {
	return dyn.Resource(gvr(version, kind)).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
}

// sameSpec compares two specs after a JSON round trip, so that int64 from
// one decoder and float64 from another compare equal.
func sameSpec(a, b *unstructured.Unstructured) (bool, string) {
	na, nb := normal(a.Object["spec"]), normal(b.Object["spec"])
	if reflect.DeepEqual(na, nb) {
		return true, ""
	}
	ja, _ := json.Marshal(na)
	jb, _ := json.Marshal(nb)
	return false, fmt.Sprintf("want %s\n got %s", ja, jb)
}

func normal(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}
