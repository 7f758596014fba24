package model

import (
	"fmt"
	"net"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// ExportToAnnotation is Istio's service annotation limiting visibility.
const ExportToAnnotation = "networking.istio.io/exportTo"

func (m *Model) addPods(b *bundle.Bundle) {
	nodes := nodeLocalities(b)
	for i := range b.Pods {
		p := &b.Pods[i]
		w := &Workload{
			Ref:            types.NamespacedName{Namespace: p.Namespace, Name: p.Name},
			IP:             p.Status.PodIP,
			Labels:         p.Labels,
			ServiceAccount: ServiceAccountOf(p),
			UID:            string(p.UID),
			Sidecar:        hasSidecar(p),
			ContainerPorts: map[string]uint32{},
			Locality:       podLocality(p, nodes),
		}
		for _, c := range p.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name != "" && validPort(int64(cp.ContainerPort)) {
					w.ContainerPorts[cp.Name] = uint32(cp.ContainerPort)
				}
			}
		}
		m.Pods[w.Ref] = w
	}
	m.podLocalitiesFromSlices(b, nodes)
	m.nodes = nodes
}

// ServiceAccountOf is the account a pod runs as; the API server fills in
// "default" when the spec names none, and so does this for pods that were
// never admitted (offline manifests).
func ServiceAccountOf(p *corev1.Pod) string {
	if p.Spec.ServiceAccountName != "" {
		return p.Spec.ServiceAccountName
	}
	return "default"
}

func (m *Model) addKubernetesServices(b *bundle.Bundle) {
	slices := slicesByService(b.EndpointSlices)
	m.sliceServices = sliceServices(b.EndpointSlices)
	for i := range b.Services {
		svc := &b.Services[i]
		if svc.Spec.Type == corev1.ServiceTypeExternalName {
			continue // an alias to a DNS name; Istio routes it as passthrough
		}
		if bad := append(validation.IsDNS1035Label(svc.Name), validation.IsDNS1123Label(svc.Namespace)...); len(bad) > 0 {
			// The API server refuses it; manifests read offline skip it.
			// Its host would carry what Envoy refuses in domains and
			// cluster names.
			m.Status.Add(ObjectRef{Kind: "Service", NamespacedName: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}},
				"metadata", "not a valid Service name and namespace (%s); the Service is ignored", strings.Join(bad, "; "))
			continue
		}
		s := &Service{
			Hostname:  names.ServiceFQDN(svc.Name, svc.Namespace, defaults.DomainSuffix),
			Namespace: svc.Namespace,
			Name:      svc.Name,
			ExportTo:  ParseExportTo(splitList(svc.Annotations[ExportToAnnotation]), svc.Namespace),
			Selector:  svc.Spec.Selector,
		}
		if ip := svc.Spec.ClusterIP; ip != "" && ip != corev1.ClusterIPNone {
			if net.ParseIP(ip) != nil {
				s.Addresses = []string{ip}
			} else {
				// The API server refuses it; as a listener address and a
				// domain Envoy would.
				m.Status.Add(ObjectRef{Kind: "Service", NamespacedName: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}},
					"spec.clusterIP", "%q is not an IP address; the Service has no cluster IP", ip)
			}
		}
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			s.Resolution = Passthrough // headless: clients dial pod IPs directly
		}
		for i, p := range svc.Spec.Ports {
			port := servicePort(p)
			if !validPort(int64(p.Port)) || p.TargetPort.StrVal == "" && p.TargetPort.IntVal != 0 && !validPort(int64(p.TargetPort.IntVal)) {
				m.Status.Add(ObjectRef{Kind: "Service", NamespacedName: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}},
					fmt.Sprintf("spec.ports[%d]", i), "port %d (target %s) is not a port number (1 to 65535); the port is ignored", p.Port, p.TargetPort.String())
				continue
			}
			if portTaken(s.Ports, port) {
				// The API server refuses it; manifests read offline skip it.
				m.Status.Add(ObjectRef{Kind: "Service", NamespacedName: types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}},
					fmt.Sprintf("spec.ports[%d]", i), "port %d is listed twice; only the first counts", p.Port)
				continue
			}
			s.Ports = append(s.Ports, port)
		}
		sort.Slice(s.Ports, func(i, j int) bool { return s.Ports[i].Number < s.Ports[j].Number })
		m.setEndpoints(s, slices[types.NamespacedName{Namespace: svc.Namespace, Name: svc.Name}])
		m.Services[s.Hostname] = s
	}
}

// validPort says whether n is a TCP or UDP port number. The API server
// refuses any other in Services, Pods, EndpointSlices and (by the CRDs)
// ServiceEntries; manifests read offline are not so checked, and Envoy
// refuses an address with such a port, with the whole resource.
func validPort(n int64) bool { return n >= 1 && n <= 65535 }

// portTaken says whether ports already has p's number for the same kind
// of transport: one UDP port and one stream port (TCP, SCTP) may share a
// number, as Kubernetes allows, but the mesh has one cluster and one
// listener per number, so two stream ports would collide in Envoy.
func portTaken(ports []Port, p Port) bool {
	for _, q := range ports {
		if q.Number == p.Number && (q.Protocol == UDP) == (p.Protocol == UDP) {
			return true
		}
	}
	return false
}

func servicePort(p corev1.ServicePort) Port {
	out := Port{
		Name:     p.Name,
		Number:   uint32(p.Port),
		Protocol: PortProtocol(p.Name, p.AppProtocol, string(p.Protocol), uint32(p.Port)),
	}
	switch {
	case p.TargetPort.IntValue() > 0:
		out.TargetPort.Number = uint32(p.TargetPort.IntValue())
	case p.TargetPort.StrVal != "":
		out.TargetPort.Name = p.TargetPort.StrVal
	default:
		out.TargetPort.Number = out.Number
	}
	return out
}

// setEndpoints gives a Kubernetes service its endpoints: those of its
// EndpointSlices, or without any those of the pods its selector picks.
func (m *Model) setEndpoints(s *Service, slices []*discoveryv1.EndpointSlice) {
	s.Endpoints = map[uint32][]Endpoint{}
	if len(slices) > 0 {
		m.endpointsFromSlices(s, slices)
	} else {
		m.endpointsFromPods(s)
	}
}

// sliceServices names the service of each EndpointSlice that has one.
func sliceServices(all []discoveryv1.EndpointSlice) map[types.NamespacedName]types.NamespacedName {
	out := make(map[types.NamespacedName]types.NamespacedName, len(all))
	for i := range all {
		es := &all[i]
		if svc := es.Labels[discoveryv1.LabelServiceName]; svc != "" {
			out[types.NamespacedName{Namespace: es.Namespace, Name: es.Name}] = types.NamespacedName{Namespace: es.Namespace, Name: svc}
		}
	}
	return out
}

func slicesByService(all []discoveryv1.EndpointSlice) map[types.NamespacedName][]*discoveryv1.EndpointSlice {
	out := map[types.NamespacedName][]*discoveryv1.EndpointSlice{}
	for i := range all {
		es := &all[i]
		svc := es.Labels[discoveryv1.LabelServiceName]
		if svc == "" {
			continue
		}
		key := types.NamespacedName{Namespace: es.Namespace, Name: svc}
		out[key] = append(out[key], es)
	}
	return out
}

// endpointsFromSlices reads the service's EndpointSlices: each slice port is
// matched to the service port of the same name, and each endpoint takes
// the labels of the pod its targetRef names (they decide subsets).
func (m *Model) endpointsFromSlices(s *Service, slices []*discoveryv1.EndpointSlice) {
	for _, es := range slices {
		for _, sp := range es.Ports {
			port := s.portByName(deref(sp.Name))
			if port == nil || sp.Port == nil || !validPort(int64(*sp.Port)) {
				continue
			}
			for _, ep := range es.Endpoints {
				for _, addr := range ep.Addresses {
					s.Endpoints[port.Number] = append(s.Endpoints[port.Number], m.sliceEndpoint(es, ep, addr, uint32(*sp.Port)))
				}
			}
		}
	}
	for n := range s.Endpoints {
		sortEndpoints(s.Endpoints[n])
	}
}

func (m *Model) sliceEndpoint(es *discoveryv1.EndpointSlice, ep discoveryv1.Endpoint, addr string, port uint32) Endpoint {
	out := Endpoint{Address: addr, Port: port, Weight: 1, Ready: ep.Conditions.Ready == nil || *ep.Conditions.Ready}
	out.Locality = sliceLocality(ep, m.nodes)
	if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
		ns := ep.TargetRef.Namespace
		if ns == "" {
			ns = es.Namespace
		}
		ref := types.NamespacedName{Namespace: ns, Name: ep.TargetRef.Name}
		out.Pod = &ref
		if w := m.Pods[ref]; w != nil {
			out.Labels = w.Labels
			if w.Locality != "" {
				out.Locality = w.Locality
			}
		}
	}
	return out
}

// endpointsFromPods is used when a service has no EndpointSlices (offline
// manifests): the pods its selector matches, with their IPs, stand in.
func (m *Model) endpointsFromPods(s *Service) {
	if len(s.Selector) == 0 {
		return
	}
	sel := labels.SelectorFromSet(s.Selector)
	for _, ref := range sortedPodRefs(m.Pods) {
		w := m.Pods[ref]
		if ref.Namespace != s.Namespace || w.IP == "" || !sel.Matches(labels.Set(w.Labels)) {
			continue
		}
		for _, p := range s.Ports {
			target, ok := w.targetPort(p.TargetPort)
			if !ok {
				continue
			}
			r := ref
			s.Endpoints[p.Number] = append(s.Endpoints[p.Number],
				Endpoint{Address: w.IP, Port: target, Labels: w.Labels, Locality: w.Locality, Weight: 1, Pod: &r, Ready: true})
		}
	}
}

// targetPort resolves a service target port on this workload.
func (w *Workload) targetPort(t TargetPort) (uint32, bool) {
	if t.Name == "" {
		return t.Number, true
	}
	n, ok := w.ContainerPorts[t.Name]
	return n, ok
}

func (s *Service) portByName(name string) *Port {
	for i := range s.Ports {
		if s.Ports[i].Name == name {
			return &s.Ports[i]
		}
	}
	return nil
}

// sortedPodRefs lists the pods in "namespace/name" order. Each ref's
// string is made once: made in the comparison, it was most of the sort.
func sortedPodRefs(pods map[types.NamespacedName]*Workload) []types.NamespacedName {
	type keyed struct {
		key string
		ref types.NamespacedName
	}
	all := make([]keyed, 0, len(pods))
	for r := range pods {
		all = append(all, keyed{r.String(), r})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	out := make([]types.NamespacedName, len(all))
	for i := range all {
		out[i] = all[i].ref
	}
	return out
}

func sortEndpoints(eps []Endpoint) {
	sort.Slice(eps, func(i, j int) bool {
		if eps[i].Address != eps[j].Address {
			return eps[i].Address < eps[j].Address
		}
		return eps[i].Port < eps[j].Port
	})
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
