// Package describe is what `sailctl x describe pod` says about a pod's
// mutual TLS, without the flags or the cluster: for each port the pod
// serves, the mode its proxy enforces and which PeerAuthentication (at
// which level) decided it; for its probes, whether the kubelet still gets
// through; and for each outbound cluster its proxy has, whether it
// originates mutual TLS and why. It reads a translation (the model and the
// proxy's generated configuration) and the pod; it is pure.
package describe

import (
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/translate"
)

// Report is everything the command prints about one pod.
type Report struct {
	Pod     types.NamespacedName
	Sidecar bool
	// Identity is the SPIFFE id in the pod's certificate.
	Identity string
	Inbound  []InboundPort
	Probes   []Probe
	Outbound []OutboundCluster
	// Problems are the translation's findings about PeerAuthentications
	// and DestinationRules, where mTLS conflicts are reported.
	Problems []string
}

// InboundPort is one port the pod serves. Port 0 stands for every port
// not listed (the proxy's passthrough filter chains).
type InboundPort struct {
	Port     uint32
	Names    []string // container port and service port names
	Decision model.MTLSDecision
}

// Pod describes pod (as it appears in the translation's input) with res,
// the translation for it.
func Pod(res *translate.Result, pod *corev1.Pod) Report {
	ref := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
	r := Report{Pod: ref}
	w := res.Model.Pods[ref]
	if w != nil {
		r.Sidecar = w.Sidecar
		r.Identity = w.SPIFFE()
	}
	var labels map[string]string
	if w != nil {
		labels = w.Labels
	}
	for _, p := range servedPorts(res.Model, pod) {
		p.Decision = res.Model.ExplainMTLSMode(pod.Namespace, labels, p.Port)
		r.Inbound = append(r.Inbound, p)
	}
	r.Inbound = append(r.Inbound, InboundPort{Decision: res.Model.ExplainMTLSMode(pod.Namespace, labels, 0)})
	r.Probes = probes(pod, r)
	if r.Sidecar {
		r.Outbound = outbound(res)
	}
	r.Problems = mtlsProblems(res.Model, ref)
	return r
}

// servedPorts are the pod's container ports and the target ports of the
// services whose endpoints are this pod, with their names, by number.
func servedPorts(m *model.Model, pod *corev1.Pod) []InboundPort {
	names := map[uint32]map[string]bool{}
	add := func(port uint32, name string) {
		if names[port] == nil {
			names[port] = map[string]bool{}
		}
		if name != "" {
			names[port][name] = true
		}
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == defaults.ProxyContainerName {
			continue // the proxy's own ports, never captured
		}
		for _, p := range c.Ports {
			if p.Protocol == "" || p.Protocol == corev1.ProtocolTCP {
				add(uint32(p.ContainerPort), p.Name)
			}
		}
	}
	ref := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
	for _, h := range m.Hostnames {
		s := m.Services[h]
		for _, sp := range s.Ports {
			for _, e := range s.Endpoints[sp.Number] {
				if e.Pod != nil && *e.Pod == ref {
					add(e.Port, sp.Name)
				}
			}
		}
	}
	out := make([]InboundPort, 0, len(names))
	for port, set := range names {
		p := InboundPort{Port: port}
		for n := range set {
			p.Names = append(p.Names, n)
		}
		sort.Strings(p.Names)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Port < out[j].Port })
	return out
}

// modeOf is the mode the pod's proxy enforces on port.
func (r Report) modeOf(port uint32) model.MTLSMode {
	var other model.MTLSMode
	for _, p := range r.Inbound {
		if p.Port == port {
			return p.Decision.Mode
		}
		if p.Port == 0 {
			other = p.Decision.Mode
		}
	}
	return other
}

// mtlsProblems are the model's problems with PeerAuthentications and with
// DestinationRules' tls settings that concern the pod: those of its own
// namespace and the root namespace, and any that names it.
func mtlsProblems(m *model.Model, pod types.NamespacedName) []string {
	var out []string
	for _, ref := range m.Status.Objects() {
		for _, p := range m.Status.Problems(ref) {
			relevant := ref.Kind == "PeerAuthentication" || (ref.Kind == "DestinationRule" && strings.Contains(p.Field, "tls"))
			near := ref.Namespace == pod.Namespace || ref.Namespace == m.RootNamespace() || strings.Contains(p.Reason, "pod "+pod.String())
			if relevant && near {
				out = append(out, model.FormatProblem(ref, p))
			}
		}
	}
	return out
}

func portString(p uint32) string {
	if p == 0 {
		return "*"
	}
	return strconv.FormatUint(uint64(p), 10)
}
