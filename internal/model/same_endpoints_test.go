package model

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

// SameEndpoints tells apart a change in any field of any endpoint, and a
// port gained or lost; it compares every field Endpoint has.
func TestSameEndpoints(t *testing.T) {
	if n := reflect.TypeFor[Endpoint]().NumField(); n != 8 {
		t.Fatalf("Endpoint has %d fields: compare the new ones in sameEndpoint, then update this count", n)
	}
	pod := types.NamespacedName{Namespace: "ns", Name: "a"}
	base := func() map[uint32][]Endpoint {
		p := pod
		return map[uint32][]Endpoint{8080: {{Address: "10.0.0.1", Port: 8080, Labels: map[string]string{"app": "a"}, Locality: "r/z", Weight: 1, Pod: &p, Ready: true, Meshed: true}}}
	}
	if !SameEndpoints(base(), base()) {
		t.Fatal("equal endpoints (a pod name in another pointer) differ")
	}
	for name, edit := range map[string]func(e *Endpoint){
		"address":  func(e *Endpoint) { e.Address = "10.0.0.2" },
		"port":     func(e *Endpoint) { e.Port = 9090 },
		"labels":   func(e *Endpoint) { e.Labels = map[string]string{"app": "b"} },
		"locality": func(e *Endpoint) { e.Locality = "r/y" },
		"weight":   func(e *Endpoint) { e.Weight = 2 },
		"pod":      func(e *Endpoint) { e.Pod = &types.NamespacedName{Namespace: "ns", Name: "b"} },
		"no pod":   func(e *Endpoint) { e.Pod = nil },
		"ready":    func(e *Endpoint) { e.Ready = false },
		"meshed":   func(e *Endpoint) { e.Meshed = false },
	} {
		b := base()
		edit(&b[8080][0])
		if SameEndpoints(base(), b) {
			t.Errorf("%s changed, yet the endpoints compare equal", name)
		}
	}
	more := base()
	more[9090] = nil
	if SameEndpoints(base(), more) || SameEndpoints(more, base()) {
		t.Error("a port gained compares equal")
	}
	two := base()
	two[8080] = append(two[8080], two[8080][0])
	if SameEndpoints(base(), two) {
		t.Error("an endpoint added compares equal")
	}
}
