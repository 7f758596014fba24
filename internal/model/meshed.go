package model

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/inject"
)

// hasSidecar reports whether the pod runs a mesh proxy, so its endpoints
// accept Istio mutual TLS: Istio's injector wrote its status annotation,
// sailplane's wrote "injected: ..." in its own, or the pod has an
// istio-proxy container (a native sidecar counts).
func hasSidecar(p *corev1.Pod) bool {
	if _, ok := p.Annotations[defaults.IstioSidecarStatusAnnotation]; ok {
		return true
	}
	if v, ok := p.Annotations[inject.StatusAnnotation]; ok {
		return strings.HasPrefix(v, inject.StatusInjected)
	}
	for _, c := range p.Spec.Containers {
		if c.Name == defaults.ProxyContainerName {
			return true
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.Name == defaults.ProxyContainerName && c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			return true
		}
	}
	return false
}

// SPIFFE is the workload's identity in certificates.
func (w *Workload) SPIFFE() string {
	return identity.Identity{TrustDomain: defaults.TrustDomain, Namespace: w.Ref.Namespace, ServiceAccount: w.ServiceAccount}.SPIFFE()
}

// markMeshed marks the endpoints whose pod runs a sidecar, and records
// each service's identities: the SPIFFE ids of the service accounts its
// pods run as (a Kubernetes service's selector; a ServiceEntry's endpoint
// pods) that run a sidecar, plus a ServiceEntry's subjectAltNames. A client verifies the
// server's certificate against them. Both come from pods, never from
// EndpointSlices alone, so an endpoint-only change cannot change them.
func (m *Model) markMeshed() {
	sidecars := m.sidecarPodsByNamespace()
	for _, h := range m.Hostnames {
		s := m.Services[h]
		ids := map[string]bool{}
		for _, eps := range s.Endpoints {
			for i := range eps {
				e := &eps[i]
				if e.Pod == nil {
					continue
				}
				w := m.Pods[*e.Pod]
				e.Meshed = w != nil && w.Sidecar
				if w != nil && w.Sidecar && s.FromServiceEntry != nil {
					ids[w.SPIFFE()] = true
				}
			}
		}
		if s.FromServiceEntry == nil && len(s.Selector) > 0 {
			sel := labels.SelectorFromSet(s.Selector)
			for _, w := range sidecars[s.Namespace] {
				if sel.Matches(labels.Set(w.Labels)) {
					ids[w.SPIFFE()] = true
				}
			}
		}
		for _, san := range s.SubjectAltNames {
			ids[san] = true
		}
		s.ServiceAccounts = make([]string, 0, len(ids))
		for id := range ids {
			s.ServiceAccounts = append(s.ServiceAccounts, id)
		}
		sort.Strings(s.ServiceAccounts)
	}
}

// sidecarPodsByNamespace lists the pods that run a sidecar per namespace,
// so that a service's selector is matched against its own namespace's
// pods only, not every pod of the mesh once per service.
func (m *Model) sidecarPodsByNamespace() map[string][]*Workload {
	out := map[string][]*Workload{}
	for ref, w := range m.Pods {
		if w.Sidecar {
			out[ref.Namespace] = append(out[ref.Namespace], w)
		}
	}
	return out
}
