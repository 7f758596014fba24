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
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "app", Image: "x"}},
			Volumes:    []corev1.Volume{{Name: "data"}},
		},
	}
	for name, change := range map[string]func(*corev1.Pod){
		"removed annotation":    func(p *corev1.Pod) { delete(p.Annotations, "a") },
		"changed container":     func(p *corev1.Pod) { p.Spec.Containers[0].Image = "y" },
		"removed container":     func(p *corev1.Pod) { p.Spec.Containers = []corev1.Container{{Name: "other"}} },
		"changed another field": func(p *corev1.Pod) { p.Spec.HostNetwork = true },
		"changed volume":        func(p *corev1.Pod) { p.Spec.Volumes[0].Name = "renamed" },
		"removed volume":        func(p *corev1.Pod) { p.Spec.Volumes = nil },
		"volume inserted first": func(p *corev1.Pod) { p.Spec.Volumes = append([]corev1.Volume{{Name: "new"}}, p.Spec.Volumes...) },
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

// Injected volumes are appended: the pod's own stay where they are.
func TestPatchAppendsVolumes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before []corev1.Volume
		want   string
	}{
		{"pod without volumes", nil, "add /spec/volumes"},
		{"pod with a volume", []corev1.Volume{{Name: "data"}}, "add /spec/volumes/-,add /spec/volumes/-"},
	} {
		before := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}, Volumes: tc.before}}
		after := before.DeepCopy()
		after.Spec.Volumes = append(after.Spec.Volumes, corev1.Volume{Name: "istio-token"}, corev1.Volume{Name: "istiod-ca-cert"})
		ops, err := insertions(before, after)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, op := range ops {
			got = append(got, op.Op+" "+op.Path)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s: ops %v, want %s", tc.name, got, tc.want)
		}
	}
}
