package model

import (
	"reflect"

	"k8s.io/apimachinery/pkg/types"
)

// SameBesidesRules reports whether o was built from the same objects as m
// except, perhaps, VirtualServices and DestinationRules: the condition
// under which a rules change may reuse the rest of a translation. It
// compares what Build derived (not the bundle), so a change it cannot
// see cannot change a translation either; any doubt answers false.
func (m *Model) SameBesidesRules(o *Model) bool {
	if m == nil || o == nil {
		return false
	}
	return m.samePolicies(o) &&
		reflect.DeepEqual(m.Services, o.Services) &&
		reflect.DeepEqual(m.Pods, o.Pods)
}

// samePolicies compares what both fast paths' conditions need unchanged:
// the mesh-wide settings, hostnames, gateways, secrets, policies and
// Sidecars.
func (m *Model) samePolicies(o *Model) bool {
	return m.OutboundTrafficPolicy == o.OutboundTrafficPolicy &&
		reflect.DeepEqual(m.Hostnames, o.Hostnames) &&
		reflect.DeepEqual(m.Gateways, o.Gateways) &&
		sameSecrets(m.Secrets, o.Secrets) &&
		reflect.DeepEqual(m.MTLS, o.MTLS) &&
		reflect.DeepEqual(m.JWT, o.JWT) &&
		reflect.DeepEqual(m.Authz, o.Authz) &&
		reflect.DeepEqual(m.Mesh, o.Mesh) &&
		reflect.DeepEqual(m.Telemetry, o.Telemetry) &&
		reflect.DeepEqual(m.RateLimits, o.RateLimits) &&
		reflect.DeepEqual(m.sidecars, o.sidecars)
}

// sameSecrets compares Secrets by their data: the TLS material is parsed
// on first use, so whether it was parsed yet says nothing.
func sameSecrets(a, b map[types.NamespacedName]*Secret) bool {
	if len(a) != len(b) {
		return false
	}
	for ref, s := range a {
		t := b[ref]
		if t == nil || !reflect.DeepEqual(s.data, t.data) {
			return false
		}
	}
	return true
}
