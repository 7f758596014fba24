package bench

import (
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/model"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// Bundle is the mesh as the controllers would collect it from the API
// server, built in memory (cluster IPs synthesized): the input of the
// micro-benchmarks.
func (m *Mesh) Bundle() *bundle.Bundle {
	b := &bundle.Bundle{}
	for _, ns := range m.Namespaces {
		b.Namespaces = append(b.Namespaces, *NamespaceObject(ns))
	}
	for _, s := range m.Services {
		b.Services = append(b.Services, *s.Object())
		b.EndpointSlices = append(b.EndpointSlices, *s.Slice())
		if s.Subsets {
			b.DestinationRules = append(b.DestinationRules, *s.DestinationRule())
			b.VirtualServices = append(b.VirtualServices, *s.VirtualService(InitialRoute(s)))
		}
		if sc := s.Sidecar(); sc != nil {
			b.Sidecars = append(b.Sidecars, *sc)
		}
		for _, p := range s.Pods {
			b.Pods = append(b.Pods, *p.WithStatus(p.Object()))
		}
	}
	b.Synthesize()
	return b
}

// ProxyFor is the translation's view of the pod's sidecar.
func ProxyFor(m *model.Model, p *Pod) xds.Proxy {
	return xds.Proxy{Type: names.Sidecar, Namespace: p.Namespace, IP: p.IP, Labels: p.Labels(), Workload: m.Pods[podKey(p)]}
}

func podKey(p *Pod) types.NamespacedName {
	return types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
}
