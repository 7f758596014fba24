package inject

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/sailplane/sailplane/internal/defaults"
)

// AnnotationRewriteAppProbers set to a false value ("false", "0", ...) on a
// pod keeps its probes as written, as in Istio. Any other parseable value,
// or none, rewrites them.
const AnnotationRewriteAppProbers = "sidecar.istio.io/rewriteAppHTTPProbers"

// EnvAppProbers is the proxy container's record of the probes the injector
// rewrote, Istio's name and JSON shape: {"/app-health/web/livez":
// {"httpGet": {...}, "timeoutSeconds": 1}}, named ports resolved to numbers.
// sailplane's Envoy does not read it (the bootstrap carries the same
// probes); it is there for people and tools, and for Istio's habits.
const EnvAppProbers = "ISTIO_KUBE_APP_PROBERS"

// AppProbePathPrefix starts every rewritten probe's path.
const AppProbePathPrefix = "/app-health/"

// AppProber is one original probe, which the proxy now runs on the
// kubelet's behalf when asked on AppProbePort at its path. Exactly one of
// HTTPGet, TCPSocket and GRPC is set. PeriodSeconds is not in Istio's
// record; the proxy's TCP and gRPC checks run at that pace.
type AppProber struct {
	HTTPGet        *corev1.HTTPGetAction   `json:"httpGet,omitempty"`
	TCPSocket      *corev1.TCPSocketAction `json:"tcpSocket,omitempty"`
	GRPC           *corev1.GRPCAction      `json:"grpc,omitempty"`
	TimeoutSeconds int32                   `json:"timeoutSeconds,omitempty"`
	PeriodSeconds  int32                   `json:"periodSeconds,omitempty"`
}

// AppProbers maps each rewritten path to its original probe.
type AppProbers map[string]AppProber

// Paths are the probers' paths, sorted: the order of everything rendered
// from them.
func (a AppProbers) Paths() []string {
	out := make([]string, 0, len(a))
	for p := range a {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// JSON is the EnvAppProbers value (map keys sorted by encoding/json).
func (a AppProbers) JSON() string {
	b, err := json.Marshal(a)
	if err != nil {
		panic(err) // only plain structs and strings
	}
	return string(b)
}

// ParseAppProbers reads an EnvAppProbers value back.
func ParseAppProbers(v string) (AppProbers, error) {
	var a AppProbers
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return nil, fmt.Errorf("env %s: %w", EnvAppProbers, err)
	}
	return a, nil
}

// AppProbePath is Istio's path for one probe of one container.
func AppProbePath(container, kind string) string {
	return AppProbePathPrefix + container + "/" + kind
}

// Probe kinds as they appear in the rewritten path.
const (
	probeLiveness = "livez"
	probeReadness = "readyz"
	probeStartup  = "startupz"
)

// shouldRewriteProbes reads the pod's opt-out.
func shouldRewriteProbes(ann map[string]string) (bool, error) {
	v, ok := ann[AnnotationRewriteAppProbers]
	if !ok {
		return true, nil
	}
	on, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, &AnnotationError{AnnotationRewriteAppProbers, v, `want "true" or "false"`}
	}
	return on, nil
}

// rewriteProbes points the app containers' httpGet, tcpSocket and grpc
// probes at the proxy's probe listener and returns the originals by path.
// Left alone: exec probes (they run inside the container, never over the
// network), httpGet probes with a host (they probe another machine, which
// capture does not touch), and probes whose named port the container does
// not declare (the kubelet fails them either way; rewriting would hide why).
func rewriteProbes(pod *corev1.Pod) AppProbers {
	out := AppProbers{}
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		for _, slot := range []struct {
			kind  string
			probe *corev1.Probe
		}{{probeLiveness, c.LivenessProbe}, {probeReadness, c.ReadinessProbe}, {probeStartup, c.StartupProbe}} {
			if slot.probe == nil {
				continue
			}
			path := AppProbePath(c.Name, slot.kind)
			if orig, ok := originalProber(c, slot.probe); ok {
				out[path] = orig
				pointAtProxy(slot.probe, path)
			}
		}
	}
	return out
}

// originalProber is the probe as the proxy must run it, ports resolved.
func originalProber(c *corev1.Container, p *corev1.Probe) (AppProber, bool) {
	orig := AppProber{TimeoutSeconds: p.TimeoutSeconds, PeriodSeconds: p.PeriodSeconds}
	switch {
	case p.HTTPGet != nil:
		if p.HTTPGet.Host != "" {
			return orig, false
		}
		port, ok := resolvePort(c, p.HTTPGet.Port)
		if !ok {
			return orig, false
		}
		h := p.HTTPGet.DeepCopy()
		h.Port = intstr.FromInt32(port)
		if h.Scheme == "" {
			h.Scheme = corev1.URISchemeHTTP
		}
		orig.HTTPGet = h
	case p.TCPSocket != nil:
		if p.TCPSocket.Host != "" {
			return orig, false
		}
		port, ok := resolvePort(c, p.TCPSocket.Port)
		if !ok {
			return orig, false
		}
		orig.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}
	case p.GRPC != nil:
		orig.GRPC = p.GRPC.DeepCopy()
	default:
		return orig, false
	}
	if orig.port() == defaults.AppProbePort {
		return orig, false // already pointed at the proxy
	}
	return orig, true
}

// pointAtProxy makes p a plain HTTP GET of path on the probe port. Headers
// stay: the kubelet sends them to the proxy, which passes them on. Timing
// and thresholds stay too.
func pointAtProxy(p *corev1.Probe, path string) {
	h := &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(defaults.AppProbePort), Scheme: corev1.URISchemeHTTP}
	if p.HTTPGet != nil {
		h.HTTPHeaders = p.HTTPGet.HTTPHeaders
	}
	p.ProbeHandler = corev1.ProbeHandler{HTTPGet: h}
}

// resolvePort is a probe's port as a number: numbers as they are, names
// looked up in the container's ports.
func resolvePort(c *corev1.Container, p intstr.IntOrString) (int32, bool) {
	if p.Type == intstr.Int {
		return p.IntVal, p.IntVal > 0 && p.IntVal < 65536
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

// port is the application port the probe reaches.
func (p AppProber) port() int32 {
	switch {
	case p.HTTPGet != nil:
		return p.HTTPGet.Port.IntVal
	case p.TCPSocket != nil:
		return p.TCPSocket.Port.IntVal
	case p.GRPC != nil:
		return p.GRPC.Port
	}
	return 0
}

// timeout is the probe's timeout as the kubelet applies it (default 1s).
func (p AppProber) timeout() int32 {
	if p.TimeoutSeconds > 0 {
		return p.TimeoutSeconds
	}
	return 1
}

// period is how often the kubelet runs the probe (default 10s).
func (p AppProber) period() int32 {
	if p.PeriodSeconds > 0 {
		return p.PeriodSeconds
	}
	return 10
}

// appProbes rewrites the pod's probes unless it opted out, and refuses a
// pod whose own container already uses the probe port: the proxy could not
// listen there.
func appProbes(pod *corev1.Pod) (AppProbers, error) {
	on, err := shouldRewriteProbes(pod.Annotations)
	if err != nil || !on {
		return nil, err
	}
	for _, c := range append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		for _, p := range c.Ports {
			if p.ContainerPort == defaults.AppProbePort {
				return nil, fmt.Errorf("container %s: port %d is where the proxy answers rewritten probes; move the port or set %s: \"false\"",
					c.Name, p.ContainerPort, AnnotationRewriteAppProbers)
			}
		}
	}
	return rewriteProbes(pod), nil
}
