package model

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// WithSlices is the model Build gives for b, made from m: b must differ
// from the bundle m was built from (or made for) only in the EndpointSlices
// named in changed, created, updated or deleted. EndpointSlices decide
// nothing but the endpoints of the Kubernetes services they name and,
// for pods whose own labels and node say nothing, the pods' localities:
// the services those slices name, before and after, get their endpoints
// again; everything else is m's, shared (services by pointer, rules,
// Sidecars, pods, secrets), with a fresh memo and the status Build gave m.
// An endpoint change at 1000 services cost a whole Build (some 20 ms and
// 5 MB) and then a comparison of the two models to prove what this knows.
//
// ok is false, and the caller builds, when m was not made by Build or
// this, or a pod's locality would come out otherwise (its slice moved it
// to another zone): pods' localities reach every translation that reads
// the proxy's.
//
// The caller's promise is what its change says: a bundle collected after
// the change was taken may hold newer objects of other kinds too, which
// the next change names (and a later Build reads); until then this model
// is the one the bundle before them would give.
func (m *Model) WithSlices(b *bundle.Bundle, changed []types.NamespacedName) (*Model, bool) {
	if m == nil || m.built == nil {
		return nil, false
	}
	nodes := nodeLocalities(b)
	if !m.sameSliceLocalities(b, nodes) {
		return nil, false
	}
	n := *m
	n.Status, n.memo, n.nodes = m.built.clone(), &memo{}, nodes
	n.sliceServices = sliceServices(b.EndpointSlices)
	n.Services = maps.Clone(m.Services)
	bySvc := slicesByService(b.EndpointSlices)
	for svc := range touchedServices(changed, m.sliceServices, n.sliceServices) {
		old := m.Services[names.ServiceFQDN(svc.Name, svc.Namespace, defaults.DomainSuffix)]
		if old == nil || old.FromServiceEntry != nil {
			// No such Service (or one the model ignores: ExternalName, an
			// invalid name): its slices give no endpoints. A ServiceEntry
			// of the same host reads no slices.
			continue
		}
		s := *old
		n.setEndpoints(&s, bySvc[svc])
		n.markEndpointsMeshed(&s, map[string]bool{})
		n.Services[s.Hostname] = &s
	}
	n.nodes = nil
	return &n, true
}

// touchedServices are the services the changed slices named before or
// name now.
func touchedServices(changed []types.NamespacedName, before, after map[types.NamespacedName]types.NamespacedName) map[types.NamespacedName]bool {
	out := map[types.NamespacedName]bool{}
	for _, es := range changed {
		for _, owners := range []map[types.NamespacedName]types.NamespacedName{before, after} {
			if svc, ok := owners[es]; ok {
				out[svc] = true
			}
		}
	}
	return out
}

// sameSliceLocalities says whether every pod whose own labels and node
// give no locality gets from b's slices the locality it has in m.
func (m *Model) sameSliceLocalities(b *bundle.Bundle, nodes map[string]Locality) bool {
	unknown := map[types.NamespacedName]bool{}
	for i := range b.Pods {
		p := &b.Pods[i]
		if podLocality(p, nodes) == "" {
			unknown[podRef(p)] = true
		}
	}
	from := localitiesFromSlices(b, nodes, func(ref types.NamespacedName) bool { return unknown[ref] })
	for ref := range unknown {
		w := m.Pods[ref]
		if w == nil || w.Locality != from[ref] {
			return false
		}
	}
	return true
}

func podRef(p *corev1.Pod) types.NamespacedName {
	return types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
}
