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
		m.markEndpointsMeshed(s, ids)
		if s.FromServiceEntry == nil && len(s.Selector) > 0 {
			for _, w := range sidecars.selected(s.Namespace, s.Selector) {
				ids[w.SPIFFE()] = true
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

// markEndpointsMeshed marks the service's endpoints whose pod runs a
// sidecar, and adds to ids, for a ServiceEntry, those pods' SPIFFE ids.
func (m *Model) markEndpointsMeshed(s *Service, ids map[string]bool) {
	for _, eps := range s.Endpoints {
		for i := range eps {
			e := &eps[i]
			if e.Pod == nil {
				continue
			}
			w := m.Pods[*e.Pod]
			e.Meshed = w != nil && w.Sidecar
			if e.Meshed && s.FromServiceEntry != nil {
				ids[w.SPIFFE()] = true
			}
		}
	}
}

// sidecarPods indexes the pods that run a sidecar by namespace and
// label, so that a service's selector is matched against the pods that
// carry one of its labels, not every pod of its namespace: with a
// Deployment per service that was services × a namespace's pods per
// Build.
type sidecarPods map[string]map[[2]string][]*Workload

func (m *Model) sidecarPodsByNamespace() sidecarPods {
	out := sidecarPods{}
	for ref, w := range m.Pods {
		if !w.Sidecar {
			continue
		}
		byLabel := out[ref.Namespace]
		if byLabel == nil {
			byLabel = map[[2]string][]*Workload{}
			out[ref.Namespace] = byLabel
		}
		for k, v := range w.Labels {
			byLabel[[2]string{k, v}] = append(byLabel[[2]string{k, v}], w)
		}
	}
	return out
}

// selected are the namespace's sidecar pods the (non-empty) selector
// selects, as a Kubernetes Service selects: every key present with its
// value. Candidates are the pods carrying the selector's rarest label.
func (x sidecarPods) selected(ns string, selector map[string]string) []*Workload {
	byLabel := x[ns]
	var cand []*Workload
	first := true
	for k, v := range selector {
		l := byLabel[[2]string{k, v}]
		if first || len(l) < len(cand) {
			cand, first = l, false
		}
	}
	var out []*Workload
	sel := labels.SelectorFromSet(selector)
	for _, w := range cand {
		if sel.Matches(labels.Set(w.Labels)) {
			out = append(out, w)
		}
	}
	return out
}
