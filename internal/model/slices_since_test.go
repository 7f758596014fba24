package model

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
)

// slicesMesh is a small mesh whose EndpointSlices the test edits: services
// s0..s3 in namespaces a and b (s3 headless, s4 an ExternalName, s5 a
// ServiceEntry's host with no Service behind it), pods p0..p7 with and
// without a sidecar, some with a zone label of their own and some only on
// a node the slices name.
func slicesMesh() *bundle.Bundle {
	b := &bundle.Bundle{}
	b.Nodes = []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{LabelRegion: "r1", LabelZone: "z1"}}}}
	for i := range 6 {
		ns := []string{"a", "b"}[i%2]
		svc := corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("s", i), Namespace: ns},
			Spec: corev1.ServiceSpec{ClusterIP: fmt.Sprintf("10.96.0.%d", 10+i), Selector: map[string]string{"app": fmt.Sprint("s", i)},
				Ports: []corev1.ServicePort{{Name: "http", Port: 8080}, {Name: "grpc", Port: 9090}}},
		}
		switch i {
		case 3:
			svc.Spec.ClusterIP = corev1.ClusterIPNone
		case 4:
			svc.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"}
		case 5:
			continue
		}
		b.Services = append(b.Services, svc)
	}
	b.ServiceEntries = []networkingv1.ServiceEntry{{
		ObjectMeta: metav1.ObjectMeta{Name: "se", Namespace: "b"},
		Spec: networkingv1.ServiceEntrySpec{Hosts: []string{"s5.b.svc.cluster.local"}, Resolution: "STATIC",
			Ports:     []networkingv1.ServicePort{{Number: 8080, Name: "http", Protocol: "HTTP"}},
			Endpoints: []networkingv1.WorkloadEntry{{Address: "10.20.0.1"}}},
	}}
	for k := range 8 {
		svc := k % 4
		p := corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("p", k), Namespace: []string{"a", "b"}[svc%2], Labels: map[string]string{"app": fmt.Sprint("s", svc)}},
			Status:     corev1.PodStatus{PodIP: fmt.Sprintf("10.1.0.%d", k+1)},
		}
		if k%3 != 0 {
			p.Annotations = map[string]string{"sidecar.istio.io/status": "{}"}
		}
		if k == 5 {
			p.Labels[LabelLocality] = "r2.z2"
		}
		b.Pods = append(b.Pods, p)
	}
	return b
}

// sliceEdit changes one EndpointSlice of b (in a copy) and names it.
func sliceEdit(r *rand.Rand, b *bundle.Bundle) (*bundle.Bundle, types.NamespacedName, string) {
	next := *b
	next.EndpointSlices = slices.Clone(b.EndpointSlices)
	svcs := []string{"s0", "s1", "s2", "s3", "s4", "s5", "gone", ""}
	nsOf := func(svc string) string {
		if svc == "s1" || svc == "s3" || svc == "s5" {
			return "b"
		}
		return "a"
	}
	if len(next.EndpointSlices) == 0 || r.IntN(5) == 0 {
		svc := svcs[r.IntN(len(svcs))]
		es := discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("es%d", r.IntN(1000)), Namespace: nsOf(svc)}, AddressType: discoveryv1.AddressTypeIPv4}
		if svc != "" {
			es.Labels = map[string]string{discoveryv1.LabelServiceName: svc}
		}
		if i := slices.IndexFunc(next.EndpointSlices, func(o discoveryv1.EndpointSlice) bool { return o.Name == es.Name && o.Namespace == es.Namespace }); i >= 0 {
			next.EndpointSlices = slices.Delete(next.EndpointSlices, i, i+1)
		}
		next.EndpointSlices = append(next.EndpointSlices, es)
		return &next, types.NamespacedName{Namespace: es.Namespace, Name: es.Name}, "create " + es.Name + " for " + svc
	}
	i := r.IntN(len(next.EndpointSlices))
	es := next.EndpointSlices[i].DeepCopy()
	ref := types.NamespacedName{Namespace: es.Namespace, Name: es.Name}
	next.EndpointSlices[i] = *es
	switch r.IntN(7) {
	case 0:
		next.EndpointSlices = slices.Delete(next.EndpointSlices, i, i+1)
		return &next, ref, "delete " + es.Name
	case 1:
		svc := svcs[r.IntN(len(svcs))]
		es.Labels = map[string]string{discoveryv1.LabelServiceName: svc}
		next.EndpointSlices[i] = *es
		return &next, ref, "move " + es.Name + " to " + svc
	case 2:
		name := []string{"http", "grpc", "other"}[r.IntN(3)]
		port := int32(9000 + r.IntN(3))
		es.Ports = append(es.Ports, discoveryv1.EndpointPort{Name: &name, Port: &port})
		next.EndpointSlices[i] = *es
		return &next, ref, "port " + name + " on " + es.Name
	case 3:
		if len(es.Endpoints) > 0 {
			es.Endpoints = slices.Delete(es.Endpoints, 0, 1)
			next.EndpointSlices[i] = *es
			return &next, ref, "drop an endpoint of " + es.Name
		}
		fallthrough
	default:
		k := r.IntN(9)
		ep := discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.1.0.%d", k+1)}}
		if k < 8 && r.IntN(4) > 0 {
			ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: fmt.Sprint("p", k), Namespace: []string{"a", "b"}[(k%4)%2]}
		}
		if r.IntN(3) == 0 {
			ready := r.IntN(2) == 0
			ep.Conditions.Ready = &ready
		}
		switch r.IntN(4) {
		case 0:
			zone := []string{"z1", "z3"}[r.IntN(2)]
			ep.Zone = &zone
		case 1:
			node := "n1"
			ep.NodeName = &node
		}
		es.Endpoints = append(es.Endpoints, ep)
		next.EndpointSlices[i] = *es
		return &next, ref, "add an endpoint to " + es.Name
	}
}

// sameModel fails unless got is want but for what is derived on use (the
// memo, the rule index) and the status compared as text.
func sameModel(t *testing.T, what string, want, got *Model) {
	t.Helper()
	if w, g := want.Status.Canonical(), got.Status.Canonical(); w != g {
		t.Fatalf("%s: status\nbuilt:\n%s\nfrom slices:\n%s", what, w, g)
	}
	if w, g := want.built.Canonical(), got.built.Canonical(); w != g {
		t.Fatalf("%s: status as built\nbuilt:\n%s\nfrom slices:\n%s", what, w, g)
	}
	w, g := *want, *got
	for _, m := range []*Model{&w, &g} {
		m.memo, m.rules, m.Status, m.built = nil, nil, nil, nil
	}
	if !reflect.DeepEqual(w, g) {
		for h, s := range w.Services {
			if !reflect.DeepEqual(s, g.Services[h]) {
				t.Fatalf("%s: service %s\nbuilt:       %+v\nfrom slices: %+v", what, h, s, g.Services[h])
			}
		}
		t.Fatalf("%s: the models differ (not in their services)", what)
	}
}

// TestWithSlicesEqualsBuild runs 1000 seeded sequences of EndpointSlice
// edits (created, deleted, moved to another service or to none, ports,
// endpoints with and without pods, zones, nodes, readiness) and checks
// that the model made from the last one is the one Build gives, whenever
// WithSlices takes the edit, and that it takes most of them.
func TestWithSlicesEqualsBuild(t *testing.T) {
	taken, declined := 0, 0
	for seq := range 1000 {
		r := rand.New(rand.NewPCG(uint64(seq), 41))
		b := slicesMesh()
		last := Build(b)
		for step := range 6 {
			next, changed, did := sliceEdit(r, b)
			want := Build(next)
			got, ok := last.WithSlices(next, []types.NamespacedName{changed})
			b = next
			if !ok {
				declined++
				last = want
				continue
			}
			taken++
			sameModel(t, fmt.Sprintf("seed %d step %d (%s)", seq, step, did), want, got)
			// Problems translation adds to the new model's status do not
			// reach the one it was made from.
			before := last.Status.Canonical()
			got.Status.Add(ObjectRef{Kind: "Sidecar", NamespacedName: types.NamespacedName{Name: fmt.Sprint("added", step)}}, "", "added after")
			if last.Status.Canonical() != before || got.built.Canonical() != want.built.Canonical() {
				t.Fatalf("seed %d step %d: a problem added to the new model's status reached another", seq, step)
			}
			last = got
		}
	}
	t.Logf("%d slice edits taken, %d declined", taken, declined)
	if taken < 4*declined {
		t.Errorf("WithSlices took %d edits and declined %d", taken, declined)
	}
}

// TestWithSlicesDeclinesAMovedPodLocality: a pod with no zone of its own
// takes its slice's; a slice edit that gives it another is declined.
func TestWithSlicesDeclinesAMovedPodLocality(t *testing.T) {
	b := slicesMesh()
	zone := "z9"
	b.EndpointSlices = []discoveryv1.EndpointSlice{{
		ObjectMeta:  metav1.ObjectMeta{Name: "es", Namespace: "a", Labels: map[string]string{discoveryv1.LabelServiceName: "s0"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.1"}, Zone: &zone, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "p0"}}},
	}}
	m := Build(b)
	if got := m.Pods[types.NamespacedName{Namespace: "a", Name: "p0"}].Locality; got != "/z9" {
		t.Fatalf("p0's locality %q, want /z9 from its slice", got)
	}
	next := *b
	es := b.EndpointSlices[0].DeepCopy()
	other := "z8"
	es.Endpoints[0].Zone = &other
	next.EndpointSlices = []discoveryv1.EndpointSlice{*es}
	if _, ok := m.WithSlices(&next, []types.NamespacedName{{Namespace: "a", Name: "es"}}); ok {
		t.Fatal("WithSlices took an edit that moves p0 to another zone")
	}
	es.Endpoints[0].Addresses = []string{"10.1.0.1", "10.1.0.99"}
	es.Endpoints[0].Zone = &zone
	next.EndpointSlices = []discoveryv1.EndpointSlice{*es}
	got, ok := m.WithSlices(&next, []types.NamespacedName{{Namespace: "a", Name: "es"}})
	if !ok {
		t.Fatal("WithSlices declined an edit that leaves every pod where it was")
	}
	sameModel(t, "an address added", Build(&next), got)
}
