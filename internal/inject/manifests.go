package inject

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Report is what manual injection did with one object of a manifest.
type Report struct {
	Object string // "Deployment default/reviews"
	Status string // the status annotation written, or why it was skipped
}

// workload knows where a kind keeps its pod template.
type workload struct {
	new      func() metav1.Object
	template func(metav1.Object) *corev1.PodTemplateSpec
}

// workloads are the kinds whose pods manual injection rewrites, keyed by
// apiVersion and kind.
var workloads = map[string]workload{
	"apps/v1/Deployment": {func() metav1.Object { return &appsv1.Deployment{} },
		func(o metav1.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.Deployment).Spec.Template }},
	"apps/v1/StatefulSet": {func() metav1.Object { return &appsv1.StatefulSet{} },
		func(o metav1.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.StatefulSet).Spec.Template }},
	"apps/v1/DaemonSet": {func() metav1.Object { return &appsv1.DaemonSet{} },
		func(o metav1.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.DaemonSet).Spec.Template }},
	"apps/v1/ReplicaSet": {func() metav1.Object { return &appsv1.ReplicaSet{} },
		func(o metav1.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.ReplicaSet).Spec.Template }},
	"batch/v1/Job": {func() metav1.Object { return &batchv1.Job{} },
		func(o metav1.Object) *corev1.PodTemplateSpec { return &o.(*batchv1.Job).Spec.Template }},
	"batch/v1/CronJob": {func() metav1.Object { return &batchv1.CronJob{} },
		func(o metav1.Object) *corev1.PodTemplateSpec {
			return &o.(*batchv1.CronJob).Spec.JobTemplate.Spec.Template
		}},
	"v1/ReplicationController": {func() metav1.Object { return &corev1.ReplicationController{} },
		func(o metav1.Object) *corev1.PodTemplateSpec { return o.(*corev1.ReplicationController).Spec.Template }},
}

// InjectManifests is sailctl kube-inject: it injects every pod and pod
// template in a multi-document YAML stream (Lists included) with the same
// rules as the webhook, except that namespace labels are not consulted.
// Other objects, and pods the rules leave out (opted out, hostNetwork), are
// copied byte for byte; the reports say why. A pod that cannot be injected
// is an error under FailurePolicy Fail; under Ignore it is copied as it is
// and its report says why.
func InjectManifests(in io.Reader, s Settings) ([]byte, []Report, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(in))
	var out bytes.Buffer
	var reports []Report
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out.Bytes(), reports, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", n, err)
		}
		if isBlank(doc) {
			continue
		}
		injected, reps, err := injectDocument(doc, s)
		if err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", n, err)
		}
		if out.Len() > 0 {
			out.WriteString("---\n")
		}
		out.Write(injected)
		reports = append(reports, reps...)
	}
}

func injectDocument(doc []byte, s Settings) ([]byte, []Report, error) {
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Items      []json.RawMessage `json:"items"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return nil, nil, err
	}
	if strings.HasSuffix(head.Kind, "List") && head.Items != nil {
		return injectList(doc, s)
	}
	obj, reports, changed, err := injectObject(head.APIVersion, head.Kind, doc, s)
	if err != nil || !changed {
		return withNewline(doc), reports, err
	}
	out, err := marshalClean(obj)
	return out, reports, err
}

// injectList injects every item of a List and writes the List back.
func injectList(doc []byte, s Settings) ([]byte, []Report, error) {
	var list map[string]any
	if err := yaml.Unmarshal(doc, &list); err != nil {
		return nil, nil, err
	}
	items, _ := list["items"].([]any)
	var reports []Report
	for i, item := range items {
		raw, err := yaml.Marshal(item)
		if err != nil {
			return nil, nil, err
		}
		m, _ := item.(map[string]any)
		apiVersion, _ := m["apiVersion"].(string)
		kind, _ := m["kind"].(string)
		obj, reps, changed, err := injectObject(apiVersion, kind, raw, s)
		if err != nil {
			return nil, nil, fmt.Errorf("items[%d]: %w", i, err)
		}
		reports = append(reports, reps...)
		if changed {
			items[i] = obj
		}
	}
	out, err := marshalClean(list)
	return out, reports, err
}

// injectObject decodes a pod or workload strictly (silently dropping a
// field this build does not know would corrupt the manifest) and injects
// its pod. Other kinds are reported and left alone.
func injectObject(apiVersion, kind string, doc []byte, s Settings) (any, []Report, bool, error) {
	if apiVersion == "v1" && kind == "Pod" {
		pod := &corev1.Pod{}
		if err := yaml.UnmarshalStrict(doc, pod); err != nil {
			return nil, nil, false, fmt.Errorf("Pod: %w", err)
		}
		res, rep, err := injectOne(pod, kind, pod.Namespace, pod.Name, s)
		return res.Pod, []Report{rep}, res.Injected, err
	}
	w, ok := workloads[apiVersion+"/"+kind]
	if !ok {
		return nil, nil, false, nil
	}
	obj := w.new()
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, nil, false, fmt.Errorf("%s: %w", kind, err)
	}
	tmpl := w.template(obj)
	if tmpl == nil {
		return nil, nil, false, nil
	}
	pod := &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
	res, rep, err := injectOne(pod, kind, obj.GetNamespace(), obj.GetName(), s)
	if err != nil || !res.Injected {
		return nil, []Report{rep}, false, err
	}
	tmpl.ObjectMeta, tmpl.Spec = res.Pod.ObjectMeta, res.Pod.Spec
	return obj, []Report{rep}, true, nil
}

func injectOne(pod *corev1.Pod, kind, namespace, name string, s Settings) (Result, Report, error) {
	id := kind + " " + name
	if namespace != "" {
		id = kind + " " + namespace + "/" + name
	}
	res := Inject(pod, Source{Namespace: Namespace{Name: namespace}, Manual: true}, s)
	if res.Rejected {
		return res, Report{Object: id, Status: res.Status}, fmt.Errorf("%s: %w", id, res.Err)
	}
	return res, Report{Object: id, Status: res.Status}, nil
}

// marshalClean writes an object as YAML without the empty fields every
// typed Kubernetes object carries when marshalled (creationTimestamp: null,
// status: {}), which would make kube-inject's output noisy to diff.
func marshalClean(obj any) ([]byte, error) {
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m any
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, err
	}
	prune(m, 0)
	return yaml.Marshal(m)
}

func prune(v any, depth int) {
	switch t := v.(type) {
	case map[string]any:
		if ts, ok := t["creationTimestamp"]; ok && ts == nil {
			delete(t, "creationTimestamp")
		}
		if st, ok := t["status"].(map[string]any); ok && len(st) == 0 && depth <= 2 {
			delete(t, "status")
		}
		for _, child := range t {
			prune(child, depth+1)
		}
	case []any:
		for _, child := range t {
			prune(child, depth)
		}
	}
}

func isBlank(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

func withNewline(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return append(b, '\n')
	}
	return b
}
