package model

import (
	"slices"
	"strings"
)

// A Sidecar's scope was found by asking Allows of every service and every
// VirtualService, for every outbound half: at the reference mesh scoped
// by 1000 Sidecars that was a million calls per reconcile, and half the
// control plane's CPU on a VirtualService change. The index below finds
// the candidates an egress host can match (the services and
// VirtualServices of its namespace, or of its exact host, and those whose
// own host is a wildcard), and Allows, unchanged, decides among them: the
// index may only propose too much, never too little.

// scopeIndex is the model's services and VirtualServices by what an
// egress host selects them by.
type scopeIndex struct {
	hosts, virtualServices egressIndex
}

// egressIndex holds positions (in m.Hostnames or m.VirtualServices) by
// exact lower-case host and by namespace, and those with a wildcard host.
type egressIndex struct {
	byName, byNamespace map[string][]int
	wildcards           []int
	n                   int
}

func newEgressIndex() egressIndex {
	return egressIndex{byName: map[string][]int{}, byNamespace: map[string][]int{}}
}

// add records position i, defined in namespace ns with the hosts.
func (x *egressIndex) add(i int, ns string, hosts ...string) {
	x.byNamespace[ns] = append(x.byNamespace[ns], i)
	wild := false
	for _, h := range hosts {
		lower := strings.ToLower(h)
		x.byName[lower] = append(x.byName[lower], i)
		wild = wild || strings.HasPrefix(lower, "*")
	}
	if wild {
		x.wildcards = append(x.wildcards, i)
	}
	x.n = i + 1
}

type scopeIndexKey struct{}

func (m *Model) scopeIndex() *scopeIndex {
	return m.Memo(scopeIndexKey{}, func() any { return buildScopeIndex(m) }).(*scopeIndex)
}

func buildScopeIndex(m *Model) *scopeIndex {
	x := &scopeIndex{hosts: newEgressIndex(), virtualServices: newEgressIndex()}
	for i, h := range m.Hostnames {
		svc := m.Services[h]
		x.hosts.add(i, svc.Namespace, svc.Hostname)
	}
	for i, vs := range m.VirtualServices {
		x.virtualServices.add(i, vs.Ref.Namespace, vs.Hosts...)
	}
	return x
}

// candidates are the positions an egress host may match: every one of its
// namespace (all for "*") when its host is a wildcard, else those of its
// exact host and those whose own host is a wildcard (which Allows matches
// the other way round).
func (x egressIndex) candidates(e EgressHost, proxyNS string) []int {
	ns := e.Namespace
	switch ns {
	case "~":
		return nil
	case ".":
		ns = proxyNS
	}
	if strings.HasPrefix(e.Host, "*") {
		if ns == "*" {
			out := make([]int, x.n)
			for i := range out {
				out[i] = i
			}
			return out
		}
		return x.byNamespace[ns]
	}
	return append(slices.Clone(x.byName[e.Host]), x.wildcards...)
}

// union merges the egress hosts' candidates, in order, once each.
func (x egressIndex) union(sc *Sidecar, proxyNS string) []int {
	var out []int
	for _, e := range sc.Egress {
		out = append(out, x.candidates(e, proxyNS)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AllowedHostnames are the hostnames (of m.Hostnames, in its order) whose
// services sc lets a proxy in proxyNS reach: those Allows accepts.
func (m *Model) AllowedHostnames(sc *Sidecar, proxyNS string) []string {
	var out []string
	for _, i := range m.scopeIndex().hosts.union(sc, proxyNS) {
		h := m.Hostnames[i]
		if svc := m.Services[h]; sc.Allows(proxyNS, svc.Namespace, svc.Hostname) {
			out = append(out, h)
		}
	}
	return out
}

// AllowedVirtualServices are the VirtualServices (in precedence order)
// some host of which sc's egress lists for a proxy in proxyNS, as the
// VirtualService's namespace defines it: those Allows accepts for one of
// their hosts.
func (m *Model) AllowedVirtualServices(sc *Sidecar, proxyNS string) []*VirtualService {
	var out []*VirtualService
	for _, i := range m.scopeIndex().virtualServices.union(sc, proxyNS) {
		vs := m.VirtualServices[i]
		if slices.ContainsFunc(vs.Hosts, func(h string) bool { return sc.Allows(proxyNS, vs.Ref.Namespace, h) }) {
			out = append(out, vs)
		}
	}
	return out
}
