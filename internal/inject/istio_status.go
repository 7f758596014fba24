package inject

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"

	"github.com/sailplane/sailplane/internal/defaults"
)

// defaultRevision is the revision Istio's injector records when no
// istio.io/rev selected one.
const defaultRevision = "default"

// istioStatus is the value of sidecar.istio.io/status in Istio's format
// (istio/pkg/kube/inject's SidecarInjectionStatus): the names of what the
// injector added, and the revision that injected. Kiali and istioctl read
// it to tell meshed pods from others, and Istio's injector uses it to
// undo an injection, so it lists exactly what was added. Empty lists are
// null, as Istio writes them. The field order is Istio's.
type istioStatus struct {
	InitContainers   []string `json:"initContainers"`
	Containers       []string `json:"containers"`
	Volumes          []string `json:"volumes"`
	ImagePullSecrets []string `json:"imagePullSecrets"`
	Revision         string   `json:"revision"`
}

// annotateIstioStatus writes sidecar.istio.io/status on injected, naming
// what it has that before had not.
func annotateIstioStatus(before, injected *corev1.Pod, src Source) {
	st := istioStatus{
		InitContainers: addedContainers(before.Spec.InitContainers, injected.Spec.InitContainers),
		Containers:     addedContainers(before.Spec.Containers, injected.Spec.Containers),
		Volumes:        addedVolumes(before.Spec.Volumes, injected.Spec.Volumes),
		Revision:       revisionOf(before, src),
	}
	b, err := json.Marshal(st)
	if err != nil {
		// A struct of strings always marshals.
		panic(err)
	}
	setAnnotation(injected, defaults.IstioSidecarStatusAnnotation, string(b))
}

// revisionOf is the revision the pod or its namespace asked for with
// istio.io/rev (the pod's label first, as Istio's webhook selectors do);
// sailplane serves every revision, so it records the one asked for.
func revisionOf(pod *corev1.Pod, src Source) string {
	if v := pod.Labels[RevisionLabel]; v != "" {
		return v
	}
	if v := src.Namespace.Labels[RevisionLabel]; v != "" {
		return v
	}
	return defaultRevision
}

func addedContainers(before, after []corev1.Container) []string {
	had := map[string]bool{}
	for _, c := range before {
		had[c.Name] = true
	}
	var added []string
	for _, c := range after {
		if !had[c.Name] {
			added = append(added, c.Name)
		}
	}
	return added
}

func addedVolumes(before, after []corev1.Volume) []string {
	had := map[string]bool{}
	for _, v := range before {
		had[v.Name] = true
	}
	var added []string
	for _, v := range after {
		if !had[v.Name] {
			added = append(added, v.Name)
		}
	}
	return added
}
