package telemetry

import (
	"strings"

	"github.com/sailplane/sailplane/internal/model"
)

// Unknown is Istio's value for a label it cannot determine.
const Unknown = "unknown"

// workloadName is the name Istio gives a pod's workload: its Deployment
// (the pod name less its ReplicaSet's "-<pod-template-hash>-<suffix>"), its
// Job, or the pod itself. The model keeps pods' labels, not their owners,
// so the Kubernetes labels those controllers set are what tells them.
func workloadName(w *model.Workload) string {
	name := w.Ref.Name
	if h := w.Labels["pod-template-hash"]; h != "" {
		if i := strings.LastIndex(name, "-"+h+"-"); i > 0 {
			return name[:i]
		}
	}
	if j := w.Labels["job-name"]; j != "" {
		return j
	}
	if s := w.Labels["statefulset.kubernetes.io/pod-name"]; s == name {
		if i := strings.LastIndex(name, "-"); i > 0 {
			return name[:i]
		}
	}
	return name
}

// canonicalService and canonicalRevision are Istio's canonical service
// labels of a workload: its explicit canonical labels, else the
// Kubernetes recommended ones, else app and version; a missing revision is
// "latest".
func canonicalService(labels map[string]string, workload string) string {
	return first(labels, workload, "service.istio.io/canonical-name", "app.kubernetes.io/name", "app")
}

func canonicalRevision(labels map[string]string) string {
	return first(labels, "latest", "service.istio.io/canonical-revision", "app.kubernetes.io/version", "version")
}

func first(labels map[string]string, fallback string, keys ...string) string {
	for _, k := range keys {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return fallback
}

func orUnknown(v string) string {
	if v == "" {
		return Unknown
	}
	return v
}
