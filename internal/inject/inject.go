// Package inject turns a pod into a meshed pod, the way Istio's sidecar
// injector does: it adds the istio-init container (sailplane-init with
// istio-iptables' flags) and the istio-proxy container (upstream Envoy with
// a bootstrap pointing at the control plane's ADS). It is pure: a pod, its
// namespace and the settings in, a pod out; the webhook and sailctl
// kube-inject are thin callers, so both give the same result.
package inject

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Result is the outcome for one pod.
type Result struct {
	// Pod is the pod to admit: injected, or unchanged but for the status
	// annotation that says why not. Nil when Rejected.
	Pod *corev1.Pod
	// Injected is true when istio-init and istio-proxy were added.
	Injected bool
	// Status is the value written to StatusAnnotation.
	Status string
	// Err is why a pod selected for injection could not be injected.
	Err error
	// Rejected is set when Err is set and the settings' FailurePolicy is
	// Fail: the caller must refuse the pod, showing Err.
	Rejected bool
}

// Inject decides and, when the rules say so, injects. It never changes its
// input. Injecting its own output changes nothing, which makes the webhook
// safe to re-invoke (reinvocationPolicy IfNeeded).
func Inject(pod *corev1.Pod, src Source, s Settings) Result {
	out := pod.DeepCopy()
	if hasProxy(out) {
		// Already injected (by us, by kube-inject, by Istio, or by hand):
		// touching it again could only break it. Keep an earlier record.
		if _, ok := out.Annotations[StatusAnnotation]; !ok {
			setAnnotation(out, StatusAnnotation, StatusNotInjected+"the pod already has a container named "+defaults.ProxyContainerName)
		}
		return Result{Pod: out, Status: out.Annotations[StatusAnnotation]}
	}
	d := Decide(out, src, s)
	if !d.Inject {
		return notInjected(out, d.Reason, nil)
	}
	if err := apply(out, s); err != nil {
		if s.FailurePolicy == FailurePolicyIgnore {
			return notInjected(pod.DeepCopy(), "cannot inject: "+err.Error(), err)
		}
		return Result{Err: err, Rejected: true, Status: StatusNotInjected + err.Error()}
	}
	status := StatusInjected + d.Reason
	setAnnotation(out, StatusAnnotation, status)
	annotateIstioStatus(pod, out, src)
	return Result{Pod: out, Injected: true, Status: status}
}

func notInjected(pod *corev1.Pod, reason string, err error) Result {
	status := StatusNotInjected + reason
	setAnnotation(pod, StatusAnnotation, status)
	return Result{Pod: pod, Status: status, Err: err}
}

// apply adds the containers and annotations to pod, or says what in the pod
// prevents it.
func apply(pod *corev1.Pod, s Settings) error {
	c, err := captureFor(pod.Annotations, s)
	if err != nil {
		return err
	}
	res, err := proxyResources(pod.Annotations, s)
	if err != nil {
		return err
	}
	if err := checkPod(pod, c.mode); err != nil {
		return err
	}
	if err := checkVolumes(pod); err != nil {
		return err
	}
	probes, err := appProbes(pod)
	if err != nil {
		return err
	}
	bootstrap, err := renderedBootstrap(s.XDSAddress, c.mode, probes)
	if err != nil {
		return err
	}
	defaultContainer := ""
	if len(pod.Spec.Containers) > 0 {
		defaultContainer = pod.Spec.Containers[0].Name
	}
	proxy := proxyContainer(pod, c, res, bootstrap, s)
	if len(probes) > 0 {
		proxy.Env = append(proxy.Env, corev1.EnvVar{Name: EnvAppProbers, Value: probes.JSON()})
	}
	var injectedInit []corev1.Container
	if c.mode != ModeNone {
		injectedInit = append(injectedInit, initContainer(c, s))
	}
	if s.NativeSidecars {
		// istio-init, then the proxy, then the pod's own init containers,
		// which can then use the network through the proxy.
		proxy.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
		injectedInit = append(injectedInit, proxy)
		pod.Spec.InitContainers = append(injectedInit, pod.Spec.InitContainers...)
	} else {
		// istio-init runs after the pod's own init containers: with no
		// proxy running yet, redirecting their traffic could only break it.
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, injectedInit...)
		pod.Spec.Containers = append(pod.Spec.Containers, proxy)
	}
	pod.Spec.Volumes = append(pod.Spec.Volumes, trustVolumes()...)
	annotateMeshed(pod, defaultContainer)
	return nil
}

// annotateMeshed adds the annotations Istio's injector adds, unless the pod
// already has them: kubectl's default container stays the application, and
// Prometheus scrapes Envoy's stats (there is no agent merging the
// application's metrics on 15020, so a pod's own scrape settings win).
func annotateMeshed(pod *corev1.Pod, defaultContainer string) {
	keep := func(key, value string) {
		if _, ok := pod.Annotations[key]; !ok && value != "" {
			setAnnotation(pod, key, value)
		}
	}
	keep("kubectl.kubernetes.io/default-container", defaultContainer)
	if _, ok := pod.Annotations["prometheus.io/scrape"]; !ok {
		keep("prometheus.io/scrape", "true")
		keep("prometheus.io/port", strconv.Itoa(defaults.EnvoyPrometheusPort))
		keep("prometheus.io/path", statsPath)
	}
}

// hasProxy reports whether any container is called istio-proxy.
func hasProxy(pod *corev1.Pod) bool {
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range list {
			if c.Name == defaults.ProxyContainerName {
				return true
			}
		}
	}
	return false
}

func setAnnotation(pod *corev1.Pod, key, value string) {
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[key] = value
}

// checkPod refuses pods the sidecar would silently break or be bypassed by.
func checkPod(pod *corev1.Pod, mode string) error {
	reserved := map[int32]string{
		defaults.AdminPort:           "Envoy's admin port",
		defaults.OutboundCapturePort: "the outbound capture port",
		defaults.InboundCapturePort:  "the inbound capture port",
		defaults.HealthPort:          "the proxy's health port",
		defaults.EnvoyPrometheusPort: "the proxy's Prometheus port",
	}
	for _, c := range append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		for _, p := range c.Ports {
			if what, ok := reserved[p.ContainerPort]; ok {
				return fmt.Errorf("container %s: port %d is %s in an injected pod", c.Name, p.ContainerPort, what)
			}
		}
	}
	if mode == ModeNone {
		return nil
	}
	for _, c := range pod.Spec.Containers {
		uid, gid := effectiveIDs(pod.Spec.SecurityContext, c.SecurityContext)
		if uid == defaults.ProxyUID || gid == defaults.ProxyGID {
			return fmt.Errorf("container %s runs as UID or GID %d, the proxy's: istio-init would never capture its traffic", c.Name, defaults.ProxyUID)
		}
	}
	return nil
}

// effectiveIDs is the UID and GID a container runs as when the pod says so
// (-1 when it is left to the image).
func effectiveIDs(pod *corev1.PodSecurityContext, c *corev1.SecurityContext) (int64, int64) {
	uid, gid := int64(-1), int64(-1)
	if pod != nil {
		uid, gid = ptr.Deref(pod.RunAsUser, uid), ptr.Deref(pod.RunAsGroup, gid)
	}
	if c != nil {
		uid, gid = ptr.Deref(c.RunAsUser, uid), ptr.Deref(c.RunAsGroup, gid)
	}
	return uid, gid
}
