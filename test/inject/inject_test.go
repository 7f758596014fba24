package inject

import (
	"bytes"
	"context"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/inject"
)

// ensureNamespace creates a namespace with labels (and makes it go away).
func ensureNamespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := kube.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

// newPod is a pod as a ReplicaSet creates it: a generated name and no
// namespace in the object; the namespace is only in the request's URL. Its
// service account is named: a cluster's ServiceAccount admission plugin
// fills in "default" before the webhooks run, but envtest turns that
// plugin off, and the API server refuses a projected token without one.
func newPod(labels, annotations map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "web-7f9c-", Labels: labels, Annotations: annotations},
		Spec: corev1.PodSpec{ServiceAccountName: "default", Containers: []corev1.Container{{
			Name: "web", Image: "example/web:1", Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}}},
	}
}

func create(t *testing.T, ns string, pod *corev1.Pod) (*corev1.Pod, error) {
	t.Helper()
	return kube.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
}

func names(pod *corev1.Pod) string {
	var n []string
	for _, c := range append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		n = append(n, c.Name)
	}
	return strings.Join(n, ",")
}

// TestSelection creates pods in namespaces labelled (or not) the ways
// Istio users label them. An empty wantStatus means the API server never
// called the injector (the configuration's selectors left the pod out).
func TestSelection(t *testing.T) {
	enabled := map[string]string{inject.NamespaceInjectionLabel: "enabled"}
	optIn := map[string]string{inject.InjectKey: "true"}
	optOut := map[string]string{inject.InjectKey: "false"}
	for _, tc := range []struct {
		name        string
		nsLabels    map[string]string
		namespace   string // when not the test's own
		labels      map[string]string
		annotations map[string]string
		hostNetwork bool
		wantNames   string
		wantStatus  string
	}{
		{name: "enabled", nsLabels: enabled, wantNames: "istio-init,web,istio-proxy",
			wantStatus: "injected: namespace label istio-injection=enabled"},
		{name: "revision", nsLabels: map[string]string{inject.RevisionLabel: "stable"}, wantNames: "istio-init,web,istio-proxy",
			wantStatus: "injected: namespace label istio.io/rev=stable"},
		{name: "unlabelled", wantNames: "web"},
		{name: "disabled", nsLabels: map[string]string{inject.NamespaceInjectionLabel: "disabled"}, labels: optIn, wantNames: "web"},
		{name: "pod-opt-in", labels: optIn, wantNames: "istio-init,web,istio-proxy",
			wantStatus: "injected: pod label sidecar.istio.io/inject=true"},
		{name: "opt-out-label", nsLabels: enabled, labels: optOut, wantNames: "web"},
		{name: "opt-out-annotation", nsLabels: enabled, annotations: optOut, wantNames: "web",
			wantStatus: "not injected: pod opted out with annotation sidecar.istio.io/inject=false"},
		// Istio's opt-in words only: any other value opts out, and the
		// status says which.
		{name: "opt-out-label-False", nsLabels: enabled, labels: map[string]string{inject.InjectKey: "False"}, wantNames: "web",
			wantStatus: "not injected: pod opted out with label sidecar.istio.io/inject=False"},
		{name: "opt-out-annotation-no", nsLabels: enabled, annotations: map[string]string{inject.InjectKey: "no"}, wantNames: "web",
			wantStatus: "not injected: pod opted out with annotation sidecar.istio.io/inject=no"},
		{name: "opt-in-label-yes", nsLabels: enabled, labels: map[string]string{inject.InjectKey: "yes"}, wantNames: "istio-init,web,istio-proxy",
			wantStatus: "injected: namespace label istio-injection=enabled"},
		// From an unlabelled namespace the object selector matches "true"
		// exactly: the injector never sees these pods.
		{name: "unlabelled-label-yes", labels: map[string]string{inject.InjectKey: "yes"}, wantNames: "web"},
		{name: "unlabelled-annotation-true", annotations: optIn, wantNames: "web"},
		{name: "host-network", nsLabels: enabled, hostNetwork: true, wantNames: "web",
			wantStatus: "not injected: hostNetwork pods share the node's network namespace"},
		{name: "control-plane", namespace: controlPlaneNamespace, nsLabels: enabled, wantNames: "web"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := tc.namespace
			if ns == "" {
				ns = testName(t)
			}
			ensureNamespace(t, ns, tc.nsLabels)
			pod := newPod(tc.labels, tc.annotations)
			pod.Spec.HostNetwork = tc.hostNetwork
			got, err := create(t, ns, pod)
			if err != nil {
				t.Fatal(err)
			}
			if names(got) != tc.wantNames {
				t.Errorf("containers %s, want %s", names(got), tc.wantNames)
			}
			status, ok := got.Annotations[inject.StatusAnnotation]
			if tc.wantStatus == "" && ok {
				t.Errorf("the injector was called (status %q); the selectors should have left the pod out", status)
			}
			if tc.wantStatus != "" && !strings.HasPrefix(status, tc.wantStatus) {
				t.Errorf("status %q, want %q", status, tc.wantStatus)
			}
		})
	}
}

// TestInjectedPod checks what the API server stored for an injected pod:
// the proxy's identity, probes, and a bootstrap Envoy accepts.
func TestInjectedPod(t *testing.T) {
	ns := testName(t)
	ensureNamespace(t, ns, map[string]string{inject.NamespaceInjectionLabel: "enabled"})
	got, err := create(t, ns, newPod(map[string]string{"app": "web"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	proxy := got.Spec.Containers[len(got.Spec.Containers)-1]
	if u := proxy.SecurityContext.RunAsUser; u == nil || *u != defaults.ProxyUID {
		t.Errorf("istio-proxy runs as %v, want UID 1337", u)
	}
	if p := proxy.ReadinessProbe; p == nil || p.HTTPGet.Path != defaults.HealthReadyPath || p.HTTPGet.Port.IntValue() != defaults.HealthPort {
		t.Errorf("readiness probe %+v, want /healthz/ready on 15021", p)
	}
	init := got.Spec.InitContainers[0]
	if caps := init.SecurityContext.Capabilities.Add; len(caps) != 2 || init.SecurityContext.Privileged == nil || *init.SecurityContext.Privileged {
		t.Errorf("istio-init capabilities %v privileged %v, want NET_ADMIN and NET_RAW, not privileged", caps, init.SecurityContext.Privileged)
	}
	var bootstrap, node string
	for i := 0; i+1 < len(proxy.Args); i++ {
		switch proxy.Args[i] {
		case "--config-yaml":
			bootstrap = proxy.Args[i+1]
		case "--service-node":
			node = proxy.Args[i+1]
		}
	}
	if node != "sidecar~$(INSTANCE_IP)~$(POD_NAME).$(POD_NAMESPACE)~$(POD_NAMESPACE).svc.cluster.local" {
		t.Errorf("--service-node %q", node)
	}
	js, err := yaml.YAMLToJSON([]byte(bootstrap))
	if err != nil {
		t.Fatal(err)
	}
	b := &bootstrapv3.Bootstrap{}
	if err := protojson.Unmarshal(js, b); err != nil {
		t.Fatalf("the stored bootstrap is not an Envoy Bootstrap: %v", err)
	}
	if err := inject.ValidateBootstrap(b); err != nil {
		t.Errorf("the stored bootstrap fails Envoy's validation: %v", err)
	}
	// The API server kept the volumes the xDS connection reads from.
	vols := map[string]corev1.Volume{}
	for _, v := range got.Spec.Volumes {
		vols[v.Name] = v
	}
	if p := vols[defaults.TokenVolume].Projected; p == nil || len(p.Sources) != 1 || p.Sources[0].ServiceAccountToken == nil ||
		p.Sources[0].ServiceAccountToken.Audience != defaults.TokenAudience {
		t.Errorf("volume %s %+v, want a projected token for %s", defaults.TokenVolume, vols[defaults.TokenVolume], defaults.TokenAudience)
	}
	if cm := vols[defaults.RootCertVolume].ConfigMap; cm == nil || cm.Name != defaults.RootCertConfigMap {
		t.Errorf("volume %s %+v, want ConfigMap %s", defaults.RootCertVolume, vols[defaults.RootCertVolume], defaults.RootCertConfigMap)
	}
	mounts := map[string]string{}
	for _, m := range proxy.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	if mounts[defaults.TokenVolume] != defaults.TokenDir || mounts[defaults.RootCertVolume] != defaults.RootCertDir {
		t.Errorf("istio-proxy mounts %v, want %s at %s and %s at %s", mounts,
			defaults.TokenVolume, defaults.TokenDir, defaults.RootCertVolume, defaults.RootCertDir)
	}
}

func TestBadAnnotationIsRejected(t *testing.T) {
	ns := testName(t)
	ensureNamespace(t, ns, map[string]string{inject.NamespaceInjectionLabel: "enabled"})
	_, err := create(t, ns, newPod(nil, map[string]string{inject.AnnotationInterceptionMode: "EBPF"}))
	if err == nil || !strings.Contains(err.Error(), inject.AnnotationInterceptionMode) {
		t.Errorf("got %v, want a refusal naming %s", err, inject.AnnotationInterceptionMode)
	}
}

// TestKubeInjectMatchesWebhook: a pod injected by sailctl kube-inject and
// the same pod injected by the webhook are stored identically (but for the
// status annotation's reason), and the webhook leaves the kube-injected pod
// alone even in an injected namespace.
func TestKubeInjectMatchesWebhook(t *testing.T) {
	ns := testName(t)
	ensureNamespace(t, ns, map[string]string{inject.NamespaceInjectionLabel: "enabled"})
	pod := newPod(map[string]string{"app": "web"}, nil)
	pod.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
	raw, err := yaml.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := inject.InjectManifests(bytes.NewReader(raw), settings)
	if err != nil {
		t.Fatal(err)
	}
	manual := &corev1.Pod{}
	if err := yaml.UnmarshalStrict(out, manual); err != nil {
		t.Fatal(err)
	}
	byHand, err := create(t, ns, manual)
	if err != nil {
		t.Fatal(err)
	}
	byWebhook, err := create(t, ns, pod)
	if err != nil {
		t.Fatal(err)
	}
	if names(byHand) != "istio-init,web,istio-proxy" {
		t.Errorf("the webhook changed a kube-injected pod: %s", names(byHand))
	}
	if !strings.Contains(byHand.Annotations[inject.StatusAnnotation], "sailctl kube-inject") {
		t.Errorf("status %q, want kube-inject's", byHand.Annotations[inject.StatusAnnotation])
	}
	if !equality.Semantic.DeepEqual(byHand.Spec.InitContainers, byWebhook.Spec.InitContainers) ||
		!equality.Semantic.DeepEqual(byHand.Spec.Containers, byWebhook.Spec.Containers) {
		t.Error("kube-inject and the webhook made different containers")
	}
}
