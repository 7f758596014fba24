package model

import (
	"fmt"
	"sort"
	"strconv"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	"github.com/sailplane/sailplane/internal/bundle"
	"github.com/sailplane/sailplane/internal/defaults"
)

// MTLSMode is what a workload port accepts from its peers.
type MTLSMode string

// The effective modes; UNSET never is one (it inherits).
const (
	MTLSPermissive MTLSMode = securityv1.MTLSPermissive
	MTLSStrict     MTLSMode = securityv1.MTLSStrict
	MTLSDisable    MTLSMode = securityv1.MTLSDisable
)

// DefaultMTLSMode applies when no PeerAuthentication says anything.
const DefaultMTLSMode MTLSMode = defaults.PeerAuthenticationMode

// PeerAuthentication is a PeerAuthentication as the model reads it: its
// scope and the modes it sets ("" where it inherits).
type PeerAuthentication struct {
	Ref types.NamespacedName
	// Selector is nil for a namespace-wide (or, in the root namespace,
	// mesh-wide) policy.
	Selector labels.Selector
	Mode     MTLSMode
	// Ports are the port-level modes by workload port; only a policy with
	// a selector has them.
	Ports map[uint32]MTLSMode
}

// MTLSPolicy holds the PeerAuthentications that decide each workload
// port's mode, in Istio's precedence.
type MTLSPolicy struct {
	// mesh and namespace-wide policies (the oldest of each namespace).
	namespaceWide map[string]*PeerAuthentication
	// selecting policies by namespace, oldest first.
	selecting map[string][]*PeerAuthentication
}

func paRef(ref types.NamespacedName) ObjectRef {
	return ObjectRef{Kind: "PeerAuthentication", NamespacedName: ref}
}

func (m *Model) addPeerAuthentications(b *bundle.Bundle) {
	m.MTLS = &MTLSPolicy{namespaceWide: map[string]*PeerAuthentication{}, selecting: map[string][]*PeerAuthentication{}}
	pas := make([]*securityv1.PeerAuthentication, len(b.PeerAuthentications))
	for i := range b.PeerAuthentications {
		pas[i] = &b.PeerAuthentications[i]
	}
	sort.Slice(pas, func(i, j int) bool { return olderFirst(&pas[i].ObjectMeta, &pas[j].ObjectMeta) })
	for _, pa := range pas {
		p := m.readPeerAuthentication(pa)
		if p.Selector == nil {
			if older := m.MTLS.namespaceWide[pa.Namespace]; older != nil {
				m.Status.Add(paRef(p.Ref), "", "ignored: %s is older and already applies to %s", paRef(older.Ref), m.scopeOf(pa.Namespace))
				continue
			}
			m.MTLS.namespaceWide[pa.Namespace] = p
			continue
		}
		m.MTLS.selecting[pa.Namespace] = append(m.MTLS.selecting[pa.Namespace], p)
	}
	m.reportSelectorConflicts()
}

func (m *Model) scopeOf(ns string) string {
	if ns == m.RootNamespace() {
		return "the whole mesh (root namespace " + ns + ")"
	}
	return "namespace " + ns
}

// readPeerAuthentication checks what the CRD's validation would (offline
// manifests never met it) and keeps what is usable.
func (m *Model) readPeerAuthentication(pa *securityv1.PeerAuthentication) *PeerAuthentication {
	ref := types.NamespacedName{Namespace: pa.Namespace, Name: pa.Name}
	m.Status.Seen(paRef(ref))
	p := &PeerAuthentication{Ref: ref}
	if sel := pa.Spec.Selector; sel != nil && len(sel.MatchLabels) > 0 {
		set := labels.Set{}
		for k, v := range sel.MatchLabels {
			set[k] = string(v)
		}
		p.Selector = labels.SelectorFromSet(set)
	}
	if pa.Spec.Mtls != nil {
		p.Mode = m.readMode(ref, "mtls.mode", pa.Spec.Mtls.Mode)
	}
	if len(pa.Spec.PortLevelMtls) == 0 {
		return p
	}
	if p.Selector == nil {
		m.Status.Add(paRef(ref), "portLevelMtls", "portLevelMtls requires selector; ignored")
		return p
	}
	p.Ports = map[uint32]MTLSMode{}
	for key, v := range pa.Spec.PortLevelMtls {
		port, err := strconv.ParseUint(key, 10, 16)
		if err != nil || port == 0 {
			m.Status.Add(paRef(ref), "portLevelMtls["+key+"]", "port must be between 1-65535; ignored")
			continue
		}
		if mode := m.readMode(ref, fmt.Sprintf("portLevelMtls[%s].mode", key), v.Mode); mode != "" {
			p.Ports[uint32(port)] = mode
		}
	}
	return p
}

// readMode returns the mode a field sets, "" for UNSET (inherit).
func (m *Model) readMode(ref types.NamespacedName, field, mode string) MTLSMode {
	switch mode {
	case "", securityv1.MTLSUnset:
		return ""
	case securityv1.MTLSDisable, securityv1.MTLSPermissive, securityv1.MTLSStrict:
		return MTLSMode(mode)
	}
	m.Status.Add(paRef(ref), field, "unknown mode %q; inherits instead", mode)
	return ""
}

// reportSelectorConflicts reports, on the newer policy, every workload two
// selecting policies of one namespace both select: Istio uses the oldest.
func (m *Model) reportSelectorConflicts() {
	if len(m.MTLS.selecting) == 0 {
		return // no two policies can select one pod
	}
	for _, r := range sortedPodRefs(m.Pods) {
		w := m.Pods[r]
		var first *PeerAuthentication
		for _, p := range m.MTLS.selecting[r.Namespace] {
			if !p.Selector.Matches(labels.Set(w.Labels)) {
				continue
			}
			if first == nil {
				first = p
				continue
			}
			m.Status.Add(paRef(p.Ref), "selector", "pod %s is also selected by the older %s, which applies to it instead", r, paRef(first.Ref))
		}
	}
}

// MTLSModeFor is the mode of a workload port (the pod's container port) in
// Istio's precedence: a policy selecting the workload beats its
// namespace's, which beats the root namespace's; within the selecting
// policy a port-level mode beats its workload-level one; UNSET inherits;
// nothing at all is PERMISSIVE.
func (m *Model) MTLSModeFor(namespace string, podLabels map[string]string, port uint32) MTLSMode {
	return m.ExplainMTLSMode(namespace, podLabels, port).Mode
}

// NamespaceMTLSMode is the mode of a namespace's workloads that no
// selecting policy covers: what a client can assume of a service there.
func (m *Model) NamespaceMTLSMode(namespace string) MTLSMode {
	return m.MTLSModeFor(namespace, nil, 0)
}
