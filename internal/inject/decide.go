package inject

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Namespace is what the injector needs to know of the pod's namespace. The
// webhook takes the name from the admission request (a pod created by a
// ReplicaSet carries none yet) and the labels from the Namespace object.
type Namespace struct {
	Name   string
	Labels map[string]string
}

// Source says who asks for injection.
type Source struct {
	Namespace Namespace
	// Manual is sailctl kube-inject: the user asked for this pod explicitly,
	// so the namespace's labels are not consulted (like istioctl
	// kube-inject). The rules that protect the cluster still apply.
	Manual bool
}

// Decision is whether to inject and the rule that decided it, in words
// that end up in the pod's status annotation.
type Decision struct {
	Inject bool
	Reason string
}

// Decide applies Istio's selection rules, in the order the webhook
// configuration's selectors apply them (config/webhook):
//  1. hostNetwork pods, kube-system, kube-public and the control plane's
//     namespace are never injected;
//  2. a pod that opts out (label or annotation sidecar.istio.io/inject=false)
//     is not injected;
//  3. namespace istio-injection=enabled injects; any other value of that
//     label forbids injection, even for pods that opt in;
//  4. namespace istio.io/rev=<any> injects;
//  5. otherwise a pod that opts in (label, or legacy annotation, "true") is
//     injected.
func Decide(pod *corev1.Pod, src Source, s Settings) Decision {
	if d, stop := never(pod, src, s.ControlPlaneNamespace); stop {
		return d
	}
	if key, ok := podSays(pod, "false"); ok {
		return no("pod opted out with %s %s=false", key, InjectKey)
	}
	if src.Manual {
		return yes("manual injection (sailctl kube-inject)")
	}
	labels := src.Namespace.Labels
	if v, ok := labels[NamespaceInjectionLabel]; ok {
		if v == "enabled" {
			return yes("namespace label %s=enabled", NamespaceInjectionLabel)
		}
		return no("namespace label %s=%s", NamespaceInjectionLabel, v)
	}
	if v, ok := labels[RevisionLabel]; ok {
		return yes("namespace label %s=%s", RevisionLabel, v)
	}
	if key, ok := podSays(pod, "true"); ok {
		return yes("pod %s %s=true", key, InjectKey)
	}
	return no("namespace %s has neither %s=enabled nor %s, and the pod does not opt in with label %s=true",
		src.Namespace.Name, NamespaceInjectionLabel, RevisionLabel, InjectKey)
}

// never holds the rules that keep the cluster itself safe.
func never(pod *corev1.Pod, src Source, controlPlane string) (Decision, bool) {
	if pod.Spec.HostNetwork {
		return no("hostNetwork pods share the node's network namespace; istio-init would redirect the node's traffic"), true
	}
	ns := src.Namespace.Name
	if ns == defaults.KubeSystemNamespace || ns == defaults.KubePublicNamespace {
		return no("namespace %s is never injected", ns), true
	}
	if ns != "" && ns == controlPlane {
		return no("namespace %s is the control plane's own", ns), true
	}
	if ns == "" && !src.Manual {
		return no("the admission request names no namespace"), true
	}
	return Decision{}, false
}

// podSays reports whether the pod's label (preferred) or annotation
// sidecar.istio.io/inject has the value want, and which of the two said it.
func podSays(pod *corev1.Pod, want string) (string, bool) {
	if v, ok := pod.Labels[InjectKey]; ok {
		return "label", v == want
	}
	if v, ok := pod.Annotations[InjectKey]; ok {
		return "annotation", v == want
	}
	return "", false
}

func yes(format string, args ...any) Decision {
	return Decision{Inject: true, Reason: fmt.Sprintf(format, args...)}
}

func no(format string, args ...any) Decision {
	return Decision{Reason: fmt.Sprintf(format, args...)}
}
