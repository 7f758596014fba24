package console

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/meshconfig"
)

// Merge keeps every kind of the base bundle, whatever kinds the Bundle
// has: a kind it dropped would show as every proxy losing its config for
// it. Each list field of base gets one zero element, and must come out
// with it; the change's Service replaces base's of the same name, and its
// other one is appended.
func TestMergeKeepsEveryKind(t *testing.T) {
	base := &bundle.Bundle{Mesh: &meshconfig.Config{}}
	v := reflect.ValueOf(base).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Slice {
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		}
	}
	base.Services = []corev1.Service{svc("a", "old"), svc("b", "kept")}
	change := &bundle.Bundle{Services: []corev1.Service{svc("a", "new"), svc("c", "added")}}
	got := Merge(base, change)
	g := reflect.ValueOf(got).Elem()
	for i := 0; i < g.NumField(); i++ {
		name := g.Type().Field(i).Name
		if f := g.Field(i); f.Kind() == reflect.Slice && name != "Services" && f.Len() != 1 {
			t.Errorf("%s: %d objects after the merge, want base's 1", name, f.Len())
		}
	}
	if got.Mesh != base.Mesh {
		t.Error("the mesh config was not kept")
	}
	var labels []string
	for _, s := range got.Services {
		labels = append(labels, s.Name+"="+s.Labels["v"])
	}
	if want := []string{"a=new", "b=kept", "c=added"}; !reflect.DeepEqual(labels, want) {
		t.Errorf("services = %v, want %v", labels, want)
	}
	if base.Services[0].Labels["v"] != "old" {
		t.Error("base was modified")
	}
}

func svc(name, v string) corev1.Service {
	return corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"v": v}}}
}

// Only a change of EndpointSlices alone takes the endpoint-only path (and
// so for VirtualServices).
func TestEndpointsOnly(t *testing.T) {
	if onlyKind(&bundle.Bundle{}, "EndpointSlices") || onlyKind(&bundle.Bundle{Services: []corev1.Service{svc("a", "")}}, "EndpointSlices") {
		t.Error("a change without EndpointSlices took the endpoint path")
	}
	only := &bundle.Bundle{EndpointSlices: []discoveryv1.EndpointSlice{{}}, Pods: []corev1.Pod{}}
	if !onlyKind(only, "EndpointSlices") {
		t.Error("EndpointSlices alone (and an empty list) did not take the endpoint path")
	}
	only.Services = []corev1.Service{svc("a", "")}
	if onlyKind(only, "EndpointSlices") {
		t.Error("EndpointSlices with a Service took the endpoint path")
	}
}
