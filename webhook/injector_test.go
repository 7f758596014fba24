package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/sailplane/sailplane/internal/inject"
)

func newInjector(t *testing.T, s inject.Settings, objs ...client.Object) *Injector {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return &Injector{
		Settings:   s,
		Namespaces: fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build(),
		Decoder:    admission.NewDecoder(scheme),
		Log:        logr.Discard(),
	}
}

func settings() inject.Settings { return inject.DefaultSettings().Complete("sailplane-system") }

func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// podCreate is the AdmissionRequest for a pod a ReplicaSet creates: the
// object has no name and no namespace; the request names the namespace.
// Its raw JSON carries a field this build does not know, which the patch
// must leave alone.
func podCreate(t *testing.T, ns string, annotations map[string]string) admission.Request {
	t.Helper()
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: "web-5d8f9c-", Labels: map[string]string{"app": "web"}, Annotations: annotations},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "example/web"}}},
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	raw = []byte(strings.Replace(string(raw), `"spec":{`, `"spec":{"futureField":{"x":1},`, 1))
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "42",
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Namespace: ns,
		Operation: admissionv1.Create,
		Object:    runtime.RawExtension{Raw: raw},
	}}
}

// applyPatch applies the response's patch to the request's raw object as
// the API server would, and decodes the result.
func applyPatch(t *testing.T, req admission.Request, resp admission.Response) (*corev1.Pod, []byte) {
	t.Helper()
	if err := resp.Complete(req); err != nil {
		t.Fatal(err)
	}
	if !resp.Allowed {
		t.Fatalf("denied: %v", resp.Result)
	}
	out := req.Object.Raw
	if len(resp.Patch) > 0 {
		p, err := jsonpatch.DecodePatch(resp.Patch)
		if err != nil {
			t.Fatalf("malformed patch %s: %v", resp.Patch, err)
		}
		if out, err = p.Apply(out); err != nil {
			t.Fatalf("patch does not apply: %v\n%s", err, resp.Patch)
		}
	}
	pod := &corev1.Pod{}
	if err := json.Unmarshal(out, pod); err != nil {
		t.Fatal(err)
	}
	return pod, out
}

func containerNames(pod *corev1.Pod) string {
	var names []string
	for _, c := range append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		names = append(names, c.Name)
	}
	return strings.Join(names, ",")
}

func TestInjectsIntoLabelledNamespace(t *testing.T) {
	h := newInjector(t, settings(), namespace("shop", map[string]string{"istio-injection": "enabled"}))
	req := podCreate(t, "shop", nil)
	pod, raw := applyPatch(t, req, h.Handle(context.Background(), req))
	if got := containerNames(pod); got != "istio-init,web,istio-proxy" {
		t.Errorf("containers %s, want istio-init,web,istio-proxy", got)
	}
	if got := pod.Annotations[inject.StatusAnnotation]; got != "injected: namespace label istio-injection=enabled" {
		t.Errorf("status %q", got)
	}
	if !strings.Contains(string(raw), `"futureField":{"x":1}`) {
		t.Error("the patch removed a field this build does not know")
	}

	// Re-invocation (reinvocationPolicy IfNeeded) gets no patch at all.
	again := podCreate(t, "shop", nil)
	again.Object.Raw = raw
	resp := h.Handle(context.Background(), again)
	if !resp.Allowed || len(resp.Patches) != 0 {
		t.Errorf("re-invocation: allowed=%v patches=%v, want allowed without a patch", resp.Allowed, resp.Patches)
	}
}

func TestRecordsWhyNot(t *testing.T) {
	h := newInjector(t, settings(), namespace("plain", nil))
	req := podCreate(t, "plain", nil)
	pod, _ := applyPatch(t, req, h.Handle(context.Background(), req))
	if got := containerNames(pod); got != "web" {
		t.Errorf("containers %s, want web only", got)
	}
	if got := pod.Annotations[inject.StatusAnnotation]; !strings.HasPrefix(got, "not injected: namespace plain has neither") {
		t.Errorf("status %q does not say why", got)
	}
}

func TestFailurePolicies(t *testing.T) {
	bad := map[string]string{inject.AnnotationExcludeOutboundPorts: "99999"}
	ns := namespace("shop", map[string]string{"istio-injection": "enabled"})

	resp := newInjector(t, settings(), ns).Handle(context.Background(), podCreate(t, "shop", bad))
	if resp.Allowed || !strings.Contains(resp.Result.Message, inject.AnnotationExcludeOutboundPorts) {
		t.Errorf("Fail: want a denial naming the annotation, got allowed=%v %v", resp.Allowed, resp.Result)
	}

	s := settings()
	s.FailurePolicy = inject.FailurePolicyIgnore
	req := podCreate(t, "shop", bad)
	resp = newInjector(t, s, ns).Handle(context.Background(), req)
	pod, _ := applyPatch(t, req, resp)
	if containerNames(pod) != "web" || !strings.Contains(pod.Annotations[inject.StatusAnnotation], "99999") {
		t.Errorf("Ignore: want the pod uninjected with the reason, got %s %q", containerNames(pod), pod.Annotations[inject.StatusAnnotation])
	}
	if len(resp.Warnings) == 0 {
		t.Error("Ignore: no warning for whoever created the pod")
	}
}

// failingReader makes the namespace lookup fail.
type failingReader struct{ client.Reader }

func (failingReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return errors.New("API server unreachable")
}

func TestCannotReadNamespace(t *testing.T) {
	h := newInjector(t, settings())
	h.Namespaces = failingReader{}
	resp := h.Handle(context.Background(), podCreate(t, "shop", nil))
	if resp.Allowed || resp.Result.Code != http.StatusInternalServerError {
		t.Errorf("Fail: want an error response, got allowed=%v %v", resp.Allowed, resp.Result)
	}
	h.Settings.FailurePolicy = inject.FailurePolicyIgnore
	resp = h.Handle(context.Background(), podCreate(t, "shop", nil))
	if !resp.Allowed || len(resp.Patches) != 0 {
		t.Errorf("Ignore: want the pod admitted untouched, got allowed=%v patches=%v", resp.Allowed, resp.Patches)
	}
}

func TestIgnoresWhatIsNotAPodCreation(t *testing.T) {
	h := newInjector(t, settings())
	req := podCreate(t, "shop", nil)
	req.Operation = admissionv1.Update
	if resp := h.Handle(context.Background(), req); !resp.Allowed || len(resp.Patches) != 0 {
		t.Error("an update was not allowed untouched")
	}
	req = podCreate(t, "shop", nil)
	req.Object.Raw = []byte(`{"kind":"Pod","spec":`)
	if resp := h.Handle(context.Background(), req); resp.Allowed || resp.Result.Code != http.StatusBadRequest {
		t.Errorf("a malformed pod got %v", resp.Result)
	}
}

// panickingReader stands for any bug deeper down.
type panickingReader struct{ client.Reader }

func (panickingReader) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	panic("boom")
}

func TestNeverPanics(t *testing.T) {
	h := newInjector(t, settings())
	h.Namespaces = panickingReader{}
	resp := h.Handle(context.Background(), podCreate(t, "shop", nil))
	if resp.Allowed || !strings.Contains(resp.Result.Message, "boom") {
		t.Errorf("got allowed=%v %v, want an error response under Fail", resp.Allowed, resp.Result)
	}
}

// TestNativeSidecarPatch: prepending init containers before the pod's own
// must still patch into exactly the pod internal/inject made.
func TestNativeSidecarPatch(t *testing.T) {
	s := settings()
	s.NativeSidecars = true
	h := newInjector(t, s, namespace("shop", map[string]string{"istio-injection": "enabled"}))
	req := podCreate(t, "shop", nil)
	var raw map[string]any
	if err := json.Unmarshal(req.Object.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	raw["spec"].(map[string]any)["initContainers"] = []any{map[string]any{"name": "migrate", "image": "example/migrate", "futureField": true}}
	req.Object.Raw, _ = json.Marshal(raw)

	pod, patched := applyPatch(t, req, h.Handle(context.Background(), req))
	if got := containerNames(pod); got != "istio-init,istio-proxy,migrate,web" {
		t.Errorf("containers %s, want istio-init,istio-proxy,migrate,web", got)
	}
	decoded := &corev1.Pod{}
	if err := json.Unmarshal(req.Object.Raw, decoded); err != nil {
		t.Fatal(err)
	}
	want := inject.Inject(decoded, inject.Source{Namespace: inject.Namespace{Name: "shop",
		Labels: map[string]string{"istio-injection": "enabled"}}}, s).Pod
	if !equality.Semantic.DeepEqual(pod, want) {
		t.Errorf("patched pod differs from inject.Inject's:\n%s", patched)
	}
}
