package model

import (
	"sort"

	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/internal/bundle"
)

// Build turns the bundle into the mesh model. It never fails: a bad object
// is left out (or partly used) and gets a problem in Status.
func Build(b *bundle.Bundle) *Model {
	m := &Model{
		Services: map[string]*Service{},
		Pods:     map[types.NamespacedName]*Workload{},
		Status:   NewStatus(),
		memo:     &memo{},
		rules:    &ruleIndex{},
	}
	m.addMeshConfig(b)
	m.addPods(b)
	m.addSecrets(b)
	m.addKubernetesServices(b)
	m.addServiceEntries(b)
	for h := range m.Services {
		m.Hostnames = append(m.Hostnames, h)
	}
	sort.Strings(m.Hostnames)
	m.markMeshed()
	m.addVirtualServices(b)
	m.addDestinationRules(b)
	m.addGateways(b)
	m.addPeerAuthentications(b)
	m.addRequestAuthentications(b)
	m.addAuthorizationPolicies(b)
	m.addSidecars(b)
	m.addTelemetries(b)
	m.addRateLimits(b)
	m.checkVirtualServiceDestinations()
	m.SourceLabelKeys = m.sourceLabelKeys()
	m.LocalityAware, _ = m.localityRules()
	m.nodes = nil
	m.checkGatewayReferences()
	m.checkGatewayCredentials()
	m.built = m.Status.clone()
	return m
}
