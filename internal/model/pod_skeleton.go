package model

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodSkeleton is the part of a pod the control plane reads: what Build
// takes from it (labels, annotations, service account, node, containers'
// names and ports, init containers' restart policy, IP), what the xDS
// server checks a caller against (UID) and what the event filter asks
// (IP). The rest, an injected pod's proxy arguments and environment above
// all (several KiB a pod), the informer cache need not hold: a pod cache
// of skeletons costs a fraction of one of whole pods, and a pod update
// that leaves the skeleton as it was (container statuses, conditions)
// cannot change any proxy's configuration.
//
// Every golden case translates the same from skeletons as from whole pods
// (internal/translate/pod_skeleton_test.go).
func PodSkeleton(p *corev1.Pod) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta: p.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion,
			Generation: p.Generation, CreationTimestamp: p.CreationTimestamp, DeletionTimestamp: p.DeletionTimestamp,
			Labels: p.Labels, Annotations: p.Annotations, OwnerReferences: p.OwnerReferences,
		},
		Spec: corev1.PodSpec{
			ServiceAccountName: p.Spec.ServiceAccountName,
			NodeName:           p.Spec.NodeName,
			Containers:         containerSkeletons(p.Spec.Containers),
			InitContainers:     containerSkeletons(p.Spec.InitContainers),
		},
		Status: corev1.PodStatus{Phase: p.Status.Phase, PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs},
	}
}

func containerSkeletons(cs []corev1.Container) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Ports: c.Ports, RestartPolicy: c.RestartPolicy}
	}
	return out
}
