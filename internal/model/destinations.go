package model

import (
	"fmt"
	"strings"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// CheckDestination resolves a destination named by a rule in namespace ns,
// as seen from a proxy in proxyNS with proxyLabels: the host must be in the
// registry and visible, and a subset must be defined by the DestinationRule
// that applies. It returns the service.
func (m *Model) CheckDestination(ns, proxyNS string, proxyLabels map[string]string, d networkingv1.Destination) (*Service, error) {
	host := m.DestinationHost(d.Host, ns)
	svc := m.Services[host]
	if svc == nil {
		return nil, &UnknownHostError{Host: host, Reason: fmt.Sprintf("host %q not found in the service registry", host)}
	}
	if !svc.ExportTo.VisibleTo(proxyNS) {
		return nil, &UnknownHostError{Host: host, Reason: fmt.Sprintf("host %q is not exported to namespace %q", host, proxyNS)}
	}
	if d.Subset == "" {
		return svc, nil
	}
	dr := m.DestinationRuleFor(proxyNS, proxyLabels, svc)
	if dr == nil {
		return nil, fmt.Errorf("subset %q: no DestinationRule for host %q", d.Subset, host)
	}
	if dr.Subset(d.Subset) == nil {
		return nil, fmt.Errorf("subset %q not found in DestinationRule %s", d.Subset, dr.Ref)
	}
	return svc, nil
}

// DestinationHost is the registry host a destination written in namespace
// ns names: a dotted host as written when the registry has it (a
// ServiceEntry's "svc.example" is not service "svc" of namespace "example";
// Istio never expands a dotted name), else the host made fully qualified.
func (m *Model) DestinationHost(host, ns string) string {
	if _, ok := m.Services[host]; ok && strings.Contains(host, ".") {
		return host
	}
	return ResolveHost(host, ns)
}

// UnknownHostError says a destination's host is not in the registry the
// proxy sees: there is no such service, or it is not exported to the
// proxy's namespace. Istio still routes to such a destination (to a cluster
// without endpoints, so its requests fail with 503); callers can tell this
// error from the others to do the same.
type UnknownHostError struct {
	Host   string
	Reason string
}

func (e *UnknownHostError) Error() string { return e.Reason + "; requests to it fail (no endpoints)" }

// checkVirtualServiceDestinations reports destinations that cannot
// resolve from the VirtualService's own namespace, so a rule gets its
// status even before any proxy connects. Proxies elsewhere may see more or
// less (exportTo, workload-selected rules); generation reports those.
func (m *Model) checkVirtualServiceDestinations() {
	for _, vs := range m.VirtualServices {
		ref := ObjectRef{Kind: "VirtualService", NamespacedName: vs.Ref}
		check := func(field string, d networkingv1.Destination) {
			if _, err := m.CheckDestination(vs.Ref.Namespace, vs.Ref.Namespace, nil, d); err != nil {
				m.Status.Add(ref, field, "%s", err.Error())
			}
		}
		for i, r := range vs.Spec.HTTP {
			for j, d := range r.Route {
				check(fmt.Sprintf("http[%d].route[%d].destination", i, j), d.Destination)
			}
		}
		for i, r := range vs.Spec.TCP {
			for j, d := range r.Route {
				check(fmt.Sprintf("tcp[%d].route[%d].destination", i, j), d.Destination)
			}
		}
		for i, r := range vs.Spec.TLS {
			for j, d := range r.Route {
				check(fmt.Sprintf("tls[%d].route[%d].destination", i, j), d.Destination)
			}
		}
	}
}
