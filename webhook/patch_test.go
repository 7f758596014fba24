package webhook

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPatchRefusesWhatItCannotExpress(t *testing.T) {
	before := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"a": "1"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "x"}}},
	}
	for name, change := range map[string]func(*corev1.Pod){
		"removed annotation":    func(p *corev1.Pod) { delete(p.Annotations, "a") },
		"changed container":     func(p *corev1.Pod) { p.Spec.Containers[0].Image = "y" },
		"removed container":     func(p *corev1.Pod) { p.Spec.Containers = []corev1.Container{{Name: "other"}} },
		"changed another field": func(p *corev1.Pod) { p.Spec.HostNetwork = true },
	} {
		after := before.DeepCopy()
		change(after)
		if _, err := insertions(before, after); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPatchOperations(t *testing.T) {
	before := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"a": "1"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
	}
	after := before.DeepCopy()
	after.Annotations["example.com/x~y"] = ""
	after.Spec.InitContainers = []corev1.Container{{Name: "init"}}
	after.Spec.Containers = append([]corev1.Container{{Name: "first"}}, after.Spec.Containers...)
	ops, err := insertions(before, after)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range ops {
		got = append(got, op.Op+" "+op.Path)
	}
	want := "add /metadata/annotations/example.com~1x~0y,add /spec/initContainers,add /spec/containers/0"
	if strings.Join(got, ",") != want {
		t.Errorf("ops %v, want %s", got, want)
	}
}
