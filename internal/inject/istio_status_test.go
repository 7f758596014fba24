package inject

import (
	"encoding/json"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/sailplane/sailplane/internal/defaults"
)

// TestIstioStatusListsWhatWasAdded decodes sidecar.istio.io/status the way
// Kiali and istioctl do and checks it names exactly the containers and
// volumes injection added, and that the pod's app and version labels (what
// Kiali groups workloads by) are left alone.
func TestIstioStatusListsWhatWasAdded(t *testing.T) {
	pod := appPod()
	pod.Labels = map[string]string{"app": "reviews", "version": "v2"}
	pod.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: "example/migrate"}}
	pod.Spec.Volumes = []corev1.Volume{{Name: "data"}}
	res := Inject(pod, enabled, testSettings())
	if !res.Injected {
		t.Fatalf("not injected: %s", res.Status)
	}
	raw, ok := res.Pod.Annotations[defaults.IstioSidecarStatusAnnotation]
	if !ok {
		t.Fatal("no sidecar.istio.io/status on an injected pod")
	}
	var st struct {
		InitContainers   []string `json:"initContainers"`
		Containers       []string `json:"containers"`
		Volumes          []string `json:"volumes"`
		ImagePullSecrets []string `json:"imagePullSecrets"`
		Revision         string   `json:"revision"`
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		t.Fatalf("status %q: %v", raw, err)
	}
	if !slices.Equal(st.InitContainers, []string{defaults.InitContainerName}) || !slices.Equal(st.Containers, []string{defaults.ProxyContainerName}) {
		t.Errorf("containers %v / %v, want only the injected ones", st.InitContainers, st.Containers)
	}
	if slices.Contains(st.Volumes, "data") || len(st.Volumes) != len(trustVolumes()) {
		t.Errorf("volumes %v, want only the injected ones", st.Volumes)
	}
	if st.Revision != defaultRevision {
		t.Errorf("revision %q, want %q", st.Revision, defaultRevision)
	}
	if res.Pod.Labels["app"] != "reviews" || res.Pod.Labels["version"] != "v2" {
		t.Errorf("labels %v: app and version must pass through", res.Pod.Labels)
	}
}

func TestIstioStatusOnlyOnInjectedPods(t *testing.T) {
	res := Inject(appPod(), Source{Namespace: Namespace{Name: "plain"}}, testSettings())
	if res.Injected {
		t.Fatal("a pod in an unlabelled namespace was injected")
	}
	if _, ok := res.Pod.Annotations[defaults.IstioSidecarStatusAnnotation]; ok {
		t.Error("a pod left out of the mesh carries sidecar.istio.io/status: Kiali and auto mTLS would take it as meshed")
	}
}

func TestIstioStatusRevisionFromPodLabel(t *testing.T) {
	pod := appPod()
	pod.Labels = map[string]string{RevisionLabel: "canary", InjectKey: "true"}
	res := Inject(pod, Source{Namespace: Namespace{Name: "plain", Labels: map[string]string{RevisionLabel: "stable"}}}, testSettings())
	var st istioStatus
	if err := json.Unmarshal([]byte(res.Pod.Annotations[defaults.IstioSidecarStatusAnnotation]), &st); err != nil {
		t.Fatal(err)
	}
	if st.Revision != "canary" {
		t.Errorf("revision %q, want the pod's canary", st.Revision)
	}
}
