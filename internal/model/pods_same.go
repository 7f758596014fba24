package model

import "reflect"

// SameBesidesPods reports whether o was built from the same objects as m
// except, perhaps, Pods and EndpointSlices, as far as the translation of
// a sidecar's listeners, routes and clusters can tell: every rule, policy
// and Sidecar is equal, and every service is equal but for the endpoints
// of those whose endpoints only load assignments carry (EDS). What pods
// decide beside endpoints and stays inside the service (the identities
// its clusters verify, ServiceAccounts) is compared. The pods themselves
// are not: a caller reusing a translation checks the proxies' own (see
// mesh.ComputePodsSince); the status Build derives from pods is m's own.
// Any doubt answers false.
func (m *Model) SameBesidesPods(o *Model) bool {
	if m == nil || o == nil {
		return false
	}
	return m.samePolicies(o) &&
		m.LocalityAware == o.LocalityAware &&
		reflect.DeepEqual(m.SourceLabelKeys, o.SourceLabelKeys) &&
		sameServicesBesidesEndpoints(m.Services, o.Services) &&
		reflect.DeepEqual(m.VirtualServices, o.VirtualServices) &&
		reflect.DeepEqual(m.DestinationRules, o.DestinationRules)
}

// sameServicesBesidesEndpoints compares the services with the endpoints
// of EDS services left out: a DNS cluster embeds its endpoints, and a
// passthrough service's are compared too, to keep the claim small.
func sameServicesBesidesEndpoints(a, b map[string]*Service) bool {
	if len(a) != len(b) {
		return false
	}
	for host, s := range a {
		t := b[host]
		if t == nil {
			return false
		}
		x, y := *s, *t
		if x.Resolution == ClientSideLB && y.Resolution == ClientSideLB {
			x.Endpoints, y.Endpoints = nil, nil
		}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}
