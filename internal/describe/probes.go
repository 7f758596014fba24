package describe

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/internal/model"
)

// Probe is one probe of an app container and whether the kubelet, which
// has no mesh certificate, still gets through.
type Probe struct {
	Container string
	Kind      string // liveness, readiness, startup
	// Target is what the kubelet asks, Original what the application is
	// asked (the same when not rewritten).
	Target, Original string
	// Works is false when the kubelet's plaintext probe meets a STRICT
	// port; Note says why either way.
	Works bool
	Note  string
}

// probes reads every app container's probes, rewritten ones through the
// proxy's ISTIO_KUBE_APP_PROBERS record.
func probes(pod *corev1.Pod, r Report) []Probe {
	record := probeRecord(pod)
	var out []Probe
	for _, c := range pod.Spec.Containers {
		if c.Name == defaults.ProxyContainerName {
			continue
		}
		for _, slot := range []struct {
			kind  string
			probe *corev1.Probe
		}{{"liveness", c.LivenessProbe}, {"readiness", c.ReadinessProbe}, {"startup", c.StartupProbe}} {
			if slot.probe != nil {
				out = append(out, describeProbe(c, slot.kind, slot.probe, record, r))
			}
		}
	}
	return out
}

func describeProbe(c corev1.Container, kind string, p *corev1.Probe, record inject.AppProbers, r Report) Probe {
	d := Probe{Container: c.Name, Kind: kind, Target: handlerString(p.ProbeHandler), Works: true}
	d.Original = d.Target
	if h := p.HTTPGet; h != nil && h.Port.IntValue() == defaults.AppProbePort && strings.HasPrefix(h.Path, inject.AppProbePathPrefix) {
		if orig, ok := record[h.Path]; ok {
			d.Original = proberString(orig)
		}
		d.Note = "rewritten: the proxy's probe listener on 15020 (never captured) asks the application on localhost"
		return d
	}
	port, ok := probePort(c, p.ProbeHandler)
	switch {
	case p.Exec != nil:
		d.Note = "exec: runs inside the container; mTLS does not apply"
	case !r.Sidecar:
		d.Note = "no sidecar: nothing intercepts the probe"
	case !ok:
		d.Note = "named port not declared by the container: the kubelet cannot run it"
		d.Works = false
	case r.modeOf(port) == model.MTLSStrict:
		d.Works = false
		d.Note = fmt.Sprintf("not rewritten and port %d is STRICT: the kubelet's plaintext probe is refused (remove %s: \"false\")",
			port, inject.AnnotationRewriteAppProbers)
	default:
		d.Note = fmt.Sprintf("not rewritten; port %d is %s, which accepts the kubelet's plaintext", port, r.modeOf(port))
	}
	return d
}

// probeRecord is the proxy container's ISTIO_KUBE_APP_PROBERS, if any.
func probeRecord(pod *corev1.Pod) inject.AppProbers {
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range list {
			for _, e := range c.Env {
				if c.Name == defaults.ProxyContainerName && e.Name == inject.EnvAppProbers {
					if a, err := inject.ParseAppProbers(e.Value); err == nil {
						return a
					}
				}
			}
		}
	}
	return nil
}

func probePort(c corev1.Container, h corev1.ProbeHandler) (uint32, bool) {
	var p int32
	switch {
	case h.HTTPGet != nil:
		p = resolve(c, h.HTTPGet.Port.IntVal, h.HTTPGet.Port.StrVal)
	case h.TCPSocket != nil:
		p = resolve(c, h.TCPSocket.Port.IntVal, h.TCPSocket.Port.StrVal)
	case h.GRPC != nil:
		p = h.GRPC.Port
	}
	return uint32(p), p > 0
}

func resolve(c corev1.Container, n int32, name string) int32 {
	if name == "" {
		return n
	}
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

func handlerString(h corev1.ProbeHandler) string {
	switch {
	case h.HTTPGet != nil:
		scheme := strings.ToUpper(string(h.HTTPGet.Scheme))
		if scheme == "" {
			scheme = "HTTP"
		}
		return fmt.Sprintf("%s GET :%s%s", scheme, h.HTTPGet.Port.String(), h.HTTPGet.Path)
	case h.TCPSocket != nil:
		return "TCP :" + h.TCPSocket.Port.String()
	case h.GRPC != nil:
		svc := ""
		if h.GRPC.Service != nil && *h.GRPC.Service != "" {
			svc = " service " + *h.GRPC.Service
		}
		return fmt.Sprintf("gRPC :%d%s", h.GRPC.Port, svc)
	case h.Exec != nil:
		return "exec " + strings.Join(h.Exec.Command, " ")
	}
	return "?"
}

func proberString(p inject.AppProber) string {
	return handlerString(corev1.ProbeHandler{HTTPGet: p.HTTPGet, TCPSocket: p.TCPSocket, GRPC: p.GRPC}) + " on localhost"
}
