package manager

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/sailplane/sailplane/internal/model"
)

// podSkeleton is the pod informer's transform: what the cache keeps of a
// pod. Anything else the informer hands over (a tombstone of a deleted
// pod) passes as it is.
func podSkeleton(obj any) (any, error) {
	if p, ok := obj.(*corev1.Pod); ok {
		return model.PodSkeleton(p), nil
	}
	return obj, nil
}
