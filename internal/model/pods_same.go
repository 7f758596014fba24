package model

import (
	"reflect"
	"slices"
)

// SameBesidesPods reports whether o was built from the same objects as m
// except, perhaps, Pods and EndpointSlices, as far as the translation of
// a sidecar's listeners, routes and clusters can tell: every rule, policy
// and Sidecar is equal, and every service is equal but for the endpoints
// of those whose endpoints only load assignments carry (EDS), and but for
// the identities its workloads run as (ServiceAccounts, which pods
// decide: the service's last pod with a sidecar gone, a pod of another
// service account added). identities are the hosts whose ServiceAccounts
// differ; a caller reusing a translation translates again whatever names
// them (the clusters that verify those identities). The pods themselves
// are not compared: a caller reusing a translation checks the proxies'
// own (see mesh.ComputePodsSince); the status Build derives from pods is
// m's own. Any doubt answers false.
func (m *Model) SameBesidesPods(o *Model) (identities map[string]bool, ok bool) {
	if m == nil || o == nil {
		return nil, false
	}
	if !m.samePolicies(o) || m.LocalityAware != o.LocalityAware ||
		!reflect.DeepEqual(m.SourceLabelKeys, o.SourceLabelKeys) ||
		!reflect.DeepEqual(m.VirtualServices, o.VirtualServices) ||
		!reflect.DeepEqual(m.DestinationRules, o.DestinationRules) {
		return nil, false
	}
	return servicesBesidesEndpoints(m.Services, o.Services)
}

// servicesBesidesEndpoints compares the services with the endpoints of
// EDS services and the identities left out (a DNS cluster embeds its
// endpoints, and a passthrough service's are compared too, to keep the
// claim small), and returns the hosts whose identities differ.
func servicesBesidesEndpoints(a, b map[string]*Service) (map[string]bool, bool) {
	if len(a) != len(b) {
		return nil, false
	}
	identities := map[string]bool{}
	for host, s := range a {
		t := b[host]
		if t == nil {
			return nil, false
		}
		x, y := *s, *t
		if x.Resolution == ClientSideLB && y.Resolution == ClientSideLB {
			x.Endpoints, y.Endpoints = nil, nil
		}
		if !slices.Equal(x.ServiceAccounts, y.ServiceAccounts) {
			identities[host] = true
		}
		x.ServiceAccounts, y.ServiceAccounts = nil, nil
		if !reflect.DeepEqual(x, y) {
			return nil, false
		}
	}
	return identities, true
}
