package inject

import (
	"flag"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

func appPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "app-", Labels: map[string]string{"app": "shop"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "example/app", Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}}},
	}
}

var enabled = Source{Namespace: Namespace{Name: "shop", Labels: map[string]string{NamespaceInjectionLabel: "enabled"}}}

func TestInjectLeavesItsInputAlone(t *testing.T) {
	pod := appPod()
	before := pod.DeepCopy()
	if res := Inject(pod, enabled, testSettings()); !res.Injected {
		t.Fatalf("not injected: %s", res.Status)
	}
	if !equality.Semantic.DeepEqual(pod, before) {
		t.Error("Inject modified the pod it was given")
	}
}

func TestInjectedPodIsReturnedUnchanged(t *testing.T) {
	first := Inject(appPod(), enabled, testSettings()).Pod
	// Even with other settings and another namespace, an injected pod is
	// never injected again.
	other := testSettings()
	other.NativeSidecars = true
	second := Inject(first, Source{Namespace: Namespace{Name: "elsewhere"}}, other)
	if !equality.Semantic.DeepEqual(first, second.Pod) || second.Injected {
		t.Error("re-injecting an injected pod changed it")
	}
}

func TestFailurePolicy(t *testing.T) {
	pod := appPod()
	pod.Annotations = map[string]string{AnnotationIncludeInboundPorts: "70000"}
	s := testSettings()

	res := Inject(pod, enabled, s)
	if !res.Rejected || res.Pod != nil || !strings.Contains(res.Err.Error(), AnnotationIncludeInboundPorts) {
		t.Errorf("Fail: got rejected=%v pod=%v err=%v; want a rejection naming the annotation", res.Rejected, res.Pod != nil, res.Err)
	}

	s.FailurePolicy = FailurePolicyIgnore
	res = Inject(pod, enabled, s)
	if res.Rejected || res.Injected || res.Pod == nil || len(res.Pod.Spec.Containers) != 1 {
		t.Fatalf("Ignore: want the pod admitted uninjected, got %+v", res)
	}
	if got := res.Pod.Annotations[StatusAnnotation]; !strings.HasPrefix(got, StatusNotInjected) || !strings.Contains(got, "70000") {
		t.Errorf("Ignore: status %q does not say why", got)
	}
}

func TestDecide(t *testing.T) {
	s := testSettings()
	ns := func(name string, labels ...string) Source {
		l := map[string]string{}
		for i := 0; i+1 < len(labels); i += 2 {
			l[labels[i]] = labels[i+1]
		}
		return Source{Namespace: Namespace{Name: name, Labels: l}}
	}
	optIn := appPod()
	optIn.Labels[InjectKey] = "true"
	optOut := appPod()
	optOut.Labels[InjectKey] = "false"
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		src  Source
		want bool
	}{
		{"enabled", appPod(), ns("a", NamespaceInjectionLabel, "enabled"), true},
		{"revision", appPod(), ns("a", RevisionLabel, "1-24"), true},
		{"istio-injection wins over rev", appPod(), ns("a", NamespaceInjectionLabel, "disabled", RevisionLabel, "x"), false},
		{"unlabelled", appPod(), ns("a"), false},
		{"opt in", optIn, ns("a"), true},
		{"opt in, namespace disabled", optIn, ns("a", NamespaceInjectionLabel, "disabled"), false},
		{"opt out", optOut, ns("a", NamespaceInjectionLabel, "enabled"), false},
		{"opt out, manual", optOut, Source{Manual: true}, false},
		{"manual", appPod(), Source{Manual: true}, true},
		{"kube-public", appPod(), ns("kube-public", NamespaceInjectionLabel, "enabled"), false},
		{"control plane", appPod(), ns(s.ControlPlaneNamespace, NamespaceInjectionLabel, "enabled"), false},
		{"no namespace in the request", appPod(), ns("", NamespaceInjectionLabel, "enabled"), false},
	} {
		if d := Decide(tc.pod, tc.src, s); d.Inject != tc.want || d.Reason == "" {
			t.Errorf("%s: got %+v, want inject=%v with a reason", tc.name, d, tc.want)
		}
	}
}

// TestNodeIDExpandsToIstioShape plays the kubelet: it expands $(VAR) in the
// proxy's --service-node with the downward API values and checks that the
// control plane can parse the result.
func TestNodeIDExpandsToIstioShape(t *testing.T) {
	proxy := findContainer(t, Inject(appPod(), enabled, testSettings()).Pod, defaults.ProxyContainerName)
	env := map[string]string{}
	for _, e := range proxy.Env {
		switch e.ValueFrom.FieldRef.FieldPath {
		case "metadata.name":
			env[e.Name] = "app-x7k2p"
		case "metadata.namespace":
			env[e.Name] = "shop"
		case "status.podIP":
			env[e.Name] = "10.244.1.7"
		}
	}
	id := argAfter(t, proxy.Args, "--service-node")
	for k, v := range env {
		id = strings.ReplaceAll(id, "$("+k+")", v)
	}
	want := names.NodeID(names.Node{Type: names.Sidecar, IP: "10.244.1.7", Pod: "app-x7k2p", Namespace: "shop", Domain: defaults.DomainSuffix})
	if id != want {
		t.Errorf("expanded node id %q, want %q", id, want)
	}
	if _, err := names.ParseNodeID(id); err != nil {
		t.Error(err)
	}
}

func TestSettingsValidate(t *testing.T) {
	if err := testSettings().Validate(); err != nil {
		t.Fatalf("default settings invalid: %v", err)
	}
	if err := DefaultSettings().Validate(); err == nil {
		t.Error("settings without Complete (no namespace, no xDS address) passed validation")
	}
	for name, change := range map[string]func(*Settings){
		"hold without native sidecars": func(s *Settings) { s.HoldApplicationUntilProxyStarts = true },
		"xds address without port":     func(s *Settings) { s.XDSAddress = "sailplane" },
		"failure policy":               func(s *Settings) { s.FailurePolicy = "Sometimes" },
		"interception mode":            func(s *Settings) { s.InterceptionMode = "tproxy" },
		"exclude ranges":               func(s *Settings) { s.ExcludeOutboundIPRanges = "10.0.0.1" },
		"log level":                    func(s *Settings) { s.ProxyLogLevel = "loud" },
		"request above limit": func(s *Settings) {
			s.ProxyResources.Requests[corev1.ResourceCPU] = s.ProxyResources.Limits[corev1.ResourceMemory]
		},
	} {
		s := testSettings()
		change(&s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBindFlags(t *testing.T) {
	s := DefaultSettings()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	s.BindFlags(fs)
	err := fs.Parse([]string{"--proxy-image=e:1", "--native-sidecars", "--proxy-cpu=300m", "--proxy-cpu-limit=0",
		"--injection-failure-policy=Ignore"})
	if err != nil {
		t.Fatal(err)
	}
	s = s.Complete("mesh")
	cpu := s.ProxyResources.Requests[corev1.ResourceCPU]
	if s.ProxyImage != "e:1" || !s.NativeSidecars || cpu.String() != "300m" || s.FailurePolicy != FailurePolicyIgnore {
		t.Errorf("flags not applied: %+v", s)
	}
	if _, ok := s.ProxyResources.Limits[corev1.ResourceCPU]; ok {
		t.Error("--proxy-cpu-limit=0 did not remove the limit")
	}
	if s.XDSAddress != "sailplane.mesh.svc:15012" {
		t.Errorf("xDS address %q, want it derived from the namespace", s.XDSAddress)
	}
	if err := fs.Parse([]string{"--injection-failure-policy=Maybe"}); err == nil {
		t.Error("a bad failure policy was accepted")
	}
}

func findContainer(t *testing.T, pod *corev1.Pod, name string) corev1.Container {
	t.Helper()
	for _, c := range append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %s", name)
	return corev1.Container{}
}

func argAfter(t *testing.T, args []string, flag string) string {
	t.Helper()
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return args[i+1]
		}
	}
	t.Fatalf("no %s in %q", flag, args)
	return ""
}
