package xds

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/internal/names"
)

// productpageNode is the node id of the proxy the tests speak as.
func productpageNode(ns string) string {
	return names.NodeID(names.Node{Type: names.Sidecar, IP: "10.1.0.9", Pod: "productpage-v1", Namespace: ns, Domain: "cluster.local"})
}

// createMesh creates, in a namespace of its own, a bookinfo-like mesh: a
// reviews service with two versions behind an EndpointSlice, and the
// productpage pod the tests' proxy stands for.
func createMesh(t *testing.T, ns string) {
	t.Helper()
	ctx := context.Background()
	create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	for _, name := range []string{"reviews", "productpage"} {
		create(t, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": name},
				Ports:    []corev1.ServicePort{{Name: "http", Port: 9080, TargetPort: intstr.FromInt32(9080)}},
			},
		})
	}
	pods := map[string][2]string{"reviews-v1": {"reviews", "v1"}, "reviews-v2": {"reviews", "v2"}, "productpage-v1": {"productpage", "v1"}}
	ips := map[string]string{"reviews-v1": "10.1.0.1", "reviews-v2": "10.1.0.2", "productpage-v1": "10.1.0.9"}
	for name, l := range pods {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": l[0], "version": l[1]}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
		}
		create(t, p)
		p.Status.PodIP = ips[name]
		p.Status.PodIPs = []corev1.PodIP{{IP: ips[name]}}
		if err := k8s.Status().Update(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	create(t, reviewsSlice(ns, "reviews-v1", "reviews-v2"))
}

func reviewsSlice(ns string, pods ...string) *discoveryv1.EndpointSlice {
	ips := map[string]string{"reviews-v1": "10.1.0.1", "reviews-v2": "10.1.0.2", "reviews-v3": "10.1.0.3"}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "reviews-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "reviews"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](9080)}},
	}
	for _, p := range pods {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{ips[p]},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: p, Namespace: ns},
		})
	}
	return es
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

func clientKey(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
