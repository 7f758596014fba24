package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// patchOp is one RFC 6902 operation. The injector adds (the value is
// always present, even when it is an empty string), and removes only the
// handler of a probe it rewrote (probeOps; no value).
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// patchResponse admits the pod with the JSON patch that turns before into
// after. The patch is written by hand rather than diffed: a diff would
// rewrite the pod's own init container, field by field, into istio-init
// when the sidecar is inserted in front of it, and fields this build does
// not know would then end up in the wrong container. Inserting whole
// containers, appending whole volumes and adding annotation keys touches
// nothing else.
func patchResponse(before, after *corev1.Pod) (admission.Response, error) {
	ops, err := insertions(before, after)
	if err != nil {
		return admission.Response{}, err
	}
	resp := admission.Allowed("")
	if len(ops) == 0 {
		return resp, nil
	}
	if resp.Patch, err = json.Marshal(ops); err != nil {
		return admission.Response{}, err
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.PatchType = &pt
	return resp, nil
}

// insertions lists the operations, and refuses any change it cannot
// express as one: the injector changing anything else is a bug, and a
// wrong patch is worse than none.
func insertions(before, after *corev1.Pod) ([]patchOp, error) {
	ops, err := annotationOps(before.Annotations, after.Annotations)
	if err != nil {
		return nil, err
	}
	for _, l := range []struct {
		path          string
		before, after []corev1.Container
	}{
		{"/spec/initContainers", before.Spec.InitContainers, after.Spec.InitContainers},
		{"/spec/containers", before.Spec.Containers, after.Spec.Containers},
	} {
		more, err := containerOps(l.path, l.before, l.after)
		if err != nil {
			return nil, err
		}
		ops = append(ops, more...)
	}
	more, err := volumeOps(before.Spec.Volumes, after.Spec.Volumes)
	if err != nil {
		return nil, err
	}
	ops = append(ops, more...)
	rest := after.DeepCopy()
	rest.Annotations = before.Annotations
	rest.Spec.InitContainers, rest.Spec.Containers = before.Spec.InitContainers, before.Spec.Containers
	rest.Spec.Volumes = before.Spec.Volumes
	if !equality.Semantic.DeepEqual(rest, before) {
		return nil, errors.New("the injector changed more than annotations, containers and volumes")
	}
	return ops, nil
}

// volumeOps appends the volumes after has beyond before's, which must come
// first and unchanged.
func volumeOps(before, after []corev1.Volume) ([]patchOp, error) {
	if len(after) < len(before) || !equality.Semantic.DeepEqual(before, after[:len(before)]) {
		return nil, errors.New("the injector changed or removed a volume of the pod")
	}
	added := after[len(before):]
	switch {
	case len(added) == 0:
		return nil, nil
	case len(before) == 0:
		return []patchOp{{"add", "/spec/volumes", added}}, nil
	}
	ops := make([]patchOp, 0, len(added))
	for _, v := range added {
		ops = append(ops, patchOp{"add", "/spec/volumes/-", v})
	}
	return ops, nil
}

func annotationOps(before, after map[string]string) ([]patchOp, error) {
	for k := range before {
		if _, ok := after[k]; !ok {
			return nil, fmt.Errorf("the injector removed annotation %s", k)
		}
	}
	if len(before) == 0 {
		if len(after) == 0 {
			return nil, nil
		}
		return []patchOp{{"add", "/metadata/annotations", after}}, nil
	}
	var ops []patchOp
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if v, ok := before[k]; !ok || v != after[k] {
			ops = append(ops, patchOp{"add", "/metadata/annotations/" + escape(k), after[k]})
		}
	}
	return ops, nil
}

// containerOps inserts the containers of after that before lacks, at their
// final positions, in increasing order so each lands where it belongs.
func containerOps(path string, before, after []corev1.Container) ([]patchOp, error) {
	if len(before) == 0 {
		if len(after) == 0 {
			return nil, nil
		}
		return []patchOp{{"add", path, after}}, nil
	}
	var ops []patchOp
	j := 0
	for i, c := range after {
		if j < len(before) && c.Name == before[j].Name {
			more, err := probeOps(path+"/"+strconv.Itoa(i), before[j], c)
			if err != nil {
				return nil, err
			}
			ops = append(ops, more...)
			j++
			continue
		}
		ops = append(ops, patchOp{"add", path + "/" + strconv.Itoa(i), c})
	}
	if j != len(before) {
		return nil, fmt.Errorf("the injector removed or reordered %s", path)
	}
	return ops, nil
}

// escape encodes a map key as a JSON pointer segment (RFC 6901).
func escape(key string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}
