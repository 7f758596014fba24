package inject

import (
	"fmt"
	"strings"

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
//  2. a pod whose sidecar.istio.io/inject (the label when present, else the
//     annotation) is set to anything but y, yes, true or on, in any case, is
//     not injected: "false", "False", "no", "0" and typos all opt out
//     (Istio's injectRequired through 1.26; since 1.27, istio/istio#56737,
//     Istio warns about such values and lets the namespace decide);
//  3. namespace istio-injection=enabled injects; any other value of that
//     label forbids injection, even for pods that opt in;
//  4. namespace istio.io/rev=<any> injects;
//  5. otherwise only a pod labelled sidecar.istio.io/inject=true, exactly,
//     is injected: that is what the object-injector webhook's selector
//     matches, so no other spelling, and no annotation, reaches the injector
//     from such a namespace.
func Decide(pod *corev1.Pod, src Source, s Settings) Decision {
	if d, stop := never(pod, src, s.ControlPlaneNamespace); stop {
		return d
	}
	if key, v, ok := podSays(pod); ok && v != "" && !optsIn(v) {
		if v == "false" {
			return no("pod opted out with %s %s=false", key, InjectKey)
		}
		return no("pod opted out with %s %s=%s (any value but y, yes, true or on, in any case, opts out)", key, InjectKey, v)
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
	if pod.Labels[InjectKey] == "true" {
		return yes("pod label %s=true", InjectKey)
	}
	return no("namespace %s has neither %s=enabled nor %s, and the pod does not opt in with label %s=true%s",
		src.Namespace.Name, NamespaceInjectionLabel, RevisionLabel, InjectKey, optInHint(pod))
}

// optInHint explains an opt-in that cannot work from a namespace without
// injection labels: the webhook's object selector sees labels only, and
// matches the value "true" exactly.
func optInHint(pod *corev1.Pod) string {
	key, v, ok := podSays(pod)
	if !ok || v == "" {
		return ""
	}
	if key == "annotation" {
		return " (an annotation cannot select a pod here: the webhook's object selector sees labels only)"
	}
	return fmt.Sprintf(" (the label says %q; the webhook's object selector matches \"true\" exactly)", v)
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

// podSays returns what the pod says with sidecar.istio.io/inject and where:
// the label when it is present, even empty (Istio reads the label first),
// else the annotation.
func podSays(pod *corev1.Pod) (where, value string, ok bool) {
	if v, ok := pod.Labels[InjectKey]; ok {
		return "label", v, true
	}
	if v, ok := pod.Annotations[InjectKey]; ok {
		return "annotation", v, true
	}
	return "", "", false
}

// optsIn reports whether a sidecar.istio.io/inject value asks for the
// sidecar: YAML 1.1's words for true, in any case, as Istio's injector
// reads them.
func optsIn(v string) bool {
	switch strings.ToLower(v) {
	case "y", "yes", "true", "on":
		return true
	}
	return false
}

func yes(format string, args ...any) Decision {
	return Decision{Inject: true, Reason: fmt.Sprintf(format, args...)}
}

func no(format string, args ...any) Decision {
	return Decision{Reason: fmt.Sprintf(format, args...)}
}
