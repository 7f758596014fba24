package model

import (
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// Where a workload port's mTLS mode came from, most specific first.
const (
	MTLSLevelPort      = "port"      // portLevelMtls of the policy selecting the workload
	MTLSLevelWorkload  = "workload"  // mtls.mode of the policy selecting the workload
	MTLSLevelNamespace = "namespace" // the namespace's policy without a selector
	MTLSLevelMesh      = "mesh"      // the root namespace's policy without a selector
	MTLSLevelDefault   = "default"   // no policy says anything: Istio's PERMISSIVE
)

// MTLSDecision is a workload port's mode and why.
type MTLSDecision struct {
	Mode  MTLSMode
	Level string
	// Policy set the mode; nil at MTLSLevelDefault.
	Policy *types.NamespacedName
	// Inherited are the policies that applied but left the mode UNSET,
	// most specific first: they are why a more general one decided.
	Inherited []types.NamespacedName
}

// ExplainMTLSMode is MTLSModeFor with its reasons: it walks Istio's
// precedence from the most general scope to the most specific, each scope
// that sets a mode overriding the one before.
func (m *Model) ExplainMTLSMode(namespace string, podLabels map[string]string, port uint32) MTLSDecision {
	d := MTLSDecision{Mode: DefaultMTLSMode, Level: MTLSLevelDefault}
	if m.MTLS == nil {
		return d
	}
	var unset []types.NamespacedName
	set := func(p *PeerAuthentication, mode MTLSMode, level string) {
		if mode == "" {
			unset = append(unset, p.Ref)
			return
		}
		ref := p.Ref
		d = MTLSDecision{Mode: mode, Level: level, Policy: &ref}
		unset = nil
	}
	if p := m.MTLS.namespaceWide[m.RootNamespace()]; p != nil {
		set(p, p.Mode, MTLSLevelMesh)
	}
	if p := m.MTLS.namespaceWide[namespace]; p != nil && namespace != m.RootNamespace() {
		set(p, p.Mode, MTLSLevelNamespace)
	}
	for _, p := range m.MTLS.selecting[namespace] {
		if !p.Selector.Matches(labels.Set(podLabels)) {
			continue
		}
		set(p, p.Mode, MTLSLevelWorkload)
		if pm, ok := p.Ports[port]; ok {
			set(p, pm, MTLSLevelPort)
		}
		break // the oldest selecting policy alone applies
	}
	for i := len(unset) - 1; i >= 0; i-- {
		d.Inherited = append(d.Inherited, unset[i])
	}
	return d
}
