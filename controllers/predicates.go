package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/sailplane/sailplane/internal/model"
)

// podMatters lets through the pod events that can change some proxy's
// configuration. A pod matters to the mesh in two ways: as the owner of an
// endpoint's labels, which needs an IP, and as the workload of a connected
// proxy. A pod that is neither (just admitted, no IP yet, no proxy) changes
// nothing, and a rebuild for it would only compete with the admission
// webhook for CPU while pods are being created. The update that gives it an
// IP, and every deletion, still pass. An update that leaves what the mesh
// reads of a pod as it was (model.PodSkeleton: a container restarted, a
// condition flipped) changes nothing either.
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
		CreateFunc: func(e event.CreateEvent) bool { return matters(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return matters(e.ObjectOld, e.ObjectNew) && !sameSkeleton(e.ObjectOld, e.ObjectNew)
		},
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

// sameSkeleton reports whether two versions of a pod agree on everything
// the mesh reads of it; objects that are not pods never do.
func sameSkeleton(a, b client.Object) bool {
	p, ok := a.(*corev1.Pod)
	q, ok2 := b.(*corev1.Pod)
	if !ok || !ok2 {
		return false
	}
	x, y := model.PodSkeleton(p), model.PodSkeleton(q)
	x.ResourceVersion, y.ResourceVersion = "", ""
	return equality.Semantic.DeepEqual(x, y)
}
