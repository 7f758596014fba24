package inject

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// resourceAnnotation ties one proxy resource annotation to the field it sets.
type resourceAnnotation struct {
	key   string
	name  corev1.ResourceName
	limit bool
}

var resourceAnnotations = []resourceAnnotation{
	{AnnotationProxyCPU, corev1.ResourceCPU, false},
	{AnnotationProxyMemory, corev1.ResourceMemory, false},
	{AnnotationProxyCPULimit, corev1.ResourceCPU, true},
	{AnnotationProxyMemoryLimit, corev1.ResourceMemory, true},
}

// proxyResources applies the pod's sidecar.istio.io/proxy* annotations over
// the settings. An annotation wins over a setting it contradicts: a request
// above the default limit raises the limit, a limit below the default
// request lowers the request. Two annotations that contradict each other
// are an error naming both.
func proxyResources(ann map[string]string, s Settings) (corev1.ResourceRequirements, error) {
	r := *s.ProxyResources.DeepCopy()
	fromPod := map[resourceAnnotation]bool{}
	for _, a := range resourceAnnotations {
		v, ok := ann[a.key]
		if !ok {
			continue
		}
		q, err := resource.ParseQuantity(v)
		if err != nil || q.Sign() <= 0 {
			return r, &AnnotationError{a.key, v, "want a positive Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi"}
		}
		setQuantity(&r, a, q)
		fromPod[a] = true
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, hasReq := r.Requests[name]
		lim, hasLim := r.Limits[name]
		if !hasReq || !hasLim || req.Cmp(lim) <= 0 {
			continue
		}
		reqA, limA := resourceAnnotation{requestKey(name), name, false}, resourceAnnotation{limitKey(name), name, true}
		switch {
		case fromPod[reqA] && fromPod[limA]:
			return r, &AnnotationError{reqA.key, ann[reqA.key],
				fmt.Sprintf("request is above the limit %s=%q", limA.key, ann[limA.key])}
		case fromPod[reqA]:
			r.Limits[name] = req.DeepCopy()
		default:
			r.Requests[name] = lim.DeepCopy()
		}
	}
	return r, nil
}

func setQuantity(r *corev1.ResourceRequirements, a resourceAnnotation, q resource.Quantity) {
	list := &r.Requests
	if a.limit {
		list = &r.Limits
	}
	if *list == nil {
		*list = corev1.ResourceList{}
	}
	(*list)[a.name] = q
}

func requestKey(name corev1.ResourceName) string {
	if name == corev1.ResourceCPU {
		return AnnotationProxyCPU
	}
	return AnnotationProxyMemory
}

func limitKey(name corev1.ResourceName) string {
	if name == corev1.ResourceCPU {
		return AnnotationProxyCPULimit
	}
	return AnnotationProxyMemoryLimit
}
