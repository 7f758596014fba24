package model

import (
	"fmt"
	"math"
	"net"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/bundle"
)

func (m *Model) addServiceEntries(b *bundle.Bundle) {
	entries := make([]*networkingv1.ServiceEntry, len(b.ServiceEntries))
	for i := range b.ServiceEntries {
		entries[i] = &b.ServiceEntries[i]
	}
	sort.Slice(entries, func(i, j int) bool { return olderFirst(&entries[i].ObjectMeta, &entries[j].ObjectMeta) })
	byLower := map[string]string{}
	for h := range m.Services {
		byLower[strings.ToLower(h)] = h
	}
	for _, se := range entries {
		ref := ObjectRef{Kind: "ServiceEntry", NamespacedName: types.NamespacedName{Namespace: se.Namespace, Name: se.Name}}
		m.Status.Seen(ref)
		for i, host := range se.Spec.Hosts {
			if host == "*" {
				// The CRD refuses it; manifests read offline skip the API
				// server. As a service it would take every HTTP request's
				// domain from the proxy's catch-all.
				m.Status.Add(ref, fmt.Sprintf("hosts[%d]", i), "host cannot be the wildcard *; this entry is ignored for it")
				continue
			}
			if !validServiceEntryHost(host) {
				// Istio's validation refuses it. An empty host, or one with
				// spaces or newlines, names clusters and virtual host
				// domains that Envoy refuses.
				m.Status.Add(ref, fmt.Sprintf("hosts[%d]", i), "host %q is not a DNS name (optionally starting with \"*.\"); this entry is ignored for it", host)
				continue
			}
			if prev, taken := m.Services[host]; taken {
				m.Status.Add(ref, fmt.Sprintf("hosts[%d]", i), "host %q is already defined by %s; this entry is ignored for it", host, definedBy(prev))
				continue
			}
			svc := m.serviceEntryHost(se, ref, host)
			if first, ok := byLower[strings.ToLower(host)]; ok {
				// Envoy compares HTTP hosts case-insensitively and refuses a
				// route table with two domains equal but for case; Istio
				// lowercases the hosts of its route tables. The host defined
				// first keeps the HTTP virtual host; this one keeps its
				// clusters and TCP listeners.
				svc.CaseVariantOf = first
				m.Status.Add(ref, fmt.Sprintf("hosts[%d]", i), "host %q differs only in case from %q (%s), which is older; HTTP requests for either reach that host's routes", host, first, definedBy(m.Services[first]))
			} else {
				byLower[strings.ToLower(host)] = host
			}
			m.Services[host] = svc
		}
	}
}

// validServiceEntryHost says whether h is a DNS name, in any case,
// optionally with a leading "*." wildcard.
func validServiceEntryHost(h string) bool {
	return len(validation.IsDNS1123Subdomain(strings.ToLower(strings.TrimPrefix(h, "*.")))) == 0
}

// entryAddresses are the entry's addresses that are IPs or CIDRs; the
// others (which the CRD does not check) are reported and left out, as
// Envoy refuses them in listener addresses.
func (m *Model) entryAddresses(se *networkingv1.ServiceEntry, ref ObjectRef) []string {
	var out []string
	for i, a := range se.Spec.Addresses {
		if _, _, err := net.ParseCIDR(a); err != nil && net.ParseIP(a) == nil {
			m.Status.Add(ref, fmt.Sprintf("addresses[%d]", i), "%q is neither an IP address nor a CIDR; it is ignored", a)
			continue
		}
		out = append(out, a)
	}
	return out
}

// usableEntries are the entry's endpoints with an address and a weight
// Envoy takes (0 for the default, up to 2^32-1); the others are reported
// and left out, as they would make Envoy refuse the load assignment.
func (m *Model) usableEntries(se *networkingv1.ServiceEntry, ref ObjectRef) []networkingv1.WorkloadEntry {
	var out []networkingv1.WorkloadEntry
	for i, e := range se.Spec.Endpoints {
		switch {
		case e.Address == "":
			m.Status.Add(ref, fmt.Sprintf("endpoints[%d].address", i), "an endpoint needs an address; it is ignored")
		case e.Weight < 0 || e.Weight > math.MaxUint32:
			m.Status.Add(ref, fmt.Sprintf("endpoints[%d].weight", i), "weight %d is out of range (0 to 4294967295); the endpoint is ignored", e.Weight)
		default:
			out = append(out, e)
		}
	}
	return out
}

func definedBy(s *Service) string {
	if s.FromServiceEntry != nil {
		return "ServiceEntry " + s.FromServiceEntry.String()
	}
	return "Service " + s.Namespace + "/" + s.Name
}

func (m *Model) serviceEntryHost(se *networkingv1.ServiceEntry, ref ObjectRef, host string) *Service {
	src := ref.NamespacedName
	s := &Service{
		Hostname:         host,
		Namespace:        se.Namespace,
		Name:             se.Name,
		Addresses:        m.entryAddresses(se, ref),
		ExportTo:         ParseExportTo(se.Spec.ExportTo, se.Namespace),
		MeshExternal:     se.Spec.Location != "MESH_INTERNAL",
		Resolution:       resolution(se.Spec.Resolution),
		Endpoints:        map[uint32][]Endpoint{},
		FromServiceEntry: &src,
		SubjectAltNames:  se.Spec.SubjectAltNames,
	}
	for i, p := range se.Spec.Ports {
		target := uint32(p.TargetPort)
		if target == 0 {
			target = uint32(p.Number)
		}
		port := Port{Name: p.Name, Number: uint32(p.Number), Protocol: ParseProtocol(p.Protocol), TargetPort: TargetPort{Number: target}}
		if !validPort(int64(p.Number)) || !validPort(int64(target)) {
			m.Status.Add(ref, fmt.Sprintf("ports[%d]", i), "port %d (target %d) is not a port number (1 to 65535); the port is ignored", p.Number, target)
			continue
		}
		if portTaken(s.Ports, port) {
			m.Status.Add(ref, fmt.Sprintf("ports[%d]", i), "port number %d is listed twice; only the first counts", p.Number)
			continue
		}
		s.Ports = append(s.Ports, port)
	}
	sort.Slice(s.Ports, func(i, j int) bool { return s.Ports[i].Number < s.Ports[j].Number })
	switch {
	case se.Spec.WorkloadSelector != nil:
		m.entryEndpointsFromPods(s, se.Spec.WorkloadSelector.Labels)
	case len(se.Spec.Endpoints) > 0:
		entryEndpoints(s, m.usableEntries(se, ref))
	case s.Resolution == DNS || s.Resolution == DNSRoundRobin:
		// With no endpoints the proxy resolves the host itself.
		entryEndpoints(s, []networkingv1.WorkloadEntry{{Address: host}})
	}
	return s
}

func resolution(r string) Resolution {
	switch r {
	case "STATIC":
		return ClientSideLB
	case "DNS":
		return DNS
	case "DNS_ROUND_ROBIN":
		return DNSRoundRobin
	}
	return Passthrough
}

// entryEndpoints expands WorkloadEntries per port: an entry's ports map
// renames a port by name; otherwise the service port's target is used.
func entryEndpoints(s *Service, entries []networkingv1.WorkloadEntry) {
	for _, p := range s.Ports {
		for _, e := range entries {
			port := p.TargetPort.Number
			if n, ok := e.Ports[p.Name]; ok && validPort(int64(n)) {
				port = uint32(n)
			}
			w := uint32(e.Weight)
			if w == 0 {
				w = 1
			}
			s.Endpoints[p.Number] = append(s.Endpoints[p.Number],
				Endpoint{Address: e.Address, Port: port, Labels: e.Labels, Locality: e.Locality, Weight: w, Ready: true})
		}
		sortEndpoints(s.Endpoints[p.Number])
	}
}

func (m *Model) entryEndpointsFromPods(s *Service, sel map[string]string) {
	selector := labels.SelectorFromSet(sel)
	for _, ref := range sortedPodRefs(m.Pods) {
		w := m.Pods[ref]
		if ref.Namespace != s.Namespace || w.IP == "" || !selector.Matches(labels.Set(w.Labels)) {
			continue
		}
		for _, p := range s.Ports {
			r := ref
			s.Endpoints[p.Number] = append(s.Endpoints[p.Number],
				Endpoint{Address: w.IP, Port: p.TargetPort.Number, Labels: w.Labels, Locality: w.Locality, Weight: 1, Pod: &r, Ready: true})
		}
	}
}
