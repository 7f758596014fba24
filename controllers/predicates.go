package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// podMatters lets through the pod events that can change some proxy's
// configuration. A pod matters to the mesh in two ways: as the owner of an
// endpoint's labels, which needs an IP, and as the workload of a connected
// proxy. A pod that is neither (just admitted, no IP yet, no proxy) changes
// nothing, and a rebuild for it would only compete with the admission
// webhook for CPU while pods are being created. The update that gives it an
// IP, and every deletion, still pass.
func podMatters(connected func(namespace, name string) bool) predicate.Funcs {
	matters := func(objs ...client.Object) bool {
		for _, o := range objs {
			if hasIP(o) || connected(o.GetNamespace(), o.GetName()) {
				return true
			}
		}
		return false
	}
	return predicate.Funcs{
		CreateFunc:  func(e event.CreateEvent) bool { return matters(e.Object) },
		UpdateFunc:  func(e event.UpdateEvent) bool { return matters(e.ObjectOld, e.ObjectNew) },
		DeleteFunc:  func(event.DeleteEvent) bool { return true },
		GenericFunc: func(event.GenericEvent) bool { return true },
	}
}

func hasIP(o client.Object) bool {
	p, ok := o.(*corev1.Pod)
	if !ok {
		return true // not a pod: not this filter's business
	}
	return p.Status.PodIP != "" || len(p.Status.PodIPs) > 0
}
