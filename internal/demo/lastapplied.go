package demo

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// LastAppliedAnnotation is where kubectl apply keeps what it last applied;
// it warns about, and three-way-merges without, an object lacking it.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// withLastApplied annotates obj as if `kubectl apply` had created it from a
// manifest holding exactly its kind, name, namespace, labels and spec: the
// printed `kubectl apply` then patches it without a warning.
func withLastApplied(obj client.Object, scheme *runtime.Scheme) error {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return err
	}
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err
	}
	manifest := &unstructured.Unstructured{Object: raw}
	manifest.SetGroupVersionKind(gvk)
	// What a manifest never says: the server's fields and our own note.
	unstructured.RemoveNestedField(manifest.Object, "status")
	unstructured.RemoveNestedField(manifest.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(manifest.Object, "metadata", "annotations", LastAppliedAnnotation)
	if len(manifest.GetAnnotations()) == 0 {
		unstructured.RemoveNestedField(manifest.Object, "metadata", "annotations")
	}
	if spec, ok := manifest.Object["spec"].(map[string]any); ok && len(spec) == 0 {
		delete(manifest.Object, "spec")
	}
	text, err := json.Marshal(manifest.Object)
	if err != nil {
		return fmt.Errorf("demo: %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[LastAppliedAnnotation] = string(text) + "\n"
	obj.SetAnnotations(annotations)
	return nil
}
