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
// egress host selects them by. Indexes are positions in m.Hostnames and
// m.VirtualServices.
type scopeIndex struct {
	hostsByName      map[string][]int
	hostsByNamespace map[string][]int
	wildcardHosts    []int
	vsByHost         map[string][]int
	vsByNamespace    map[string][]int
	wildcardVS       []int
}

type scopeIndexKey struct{}

func (m *Model) scopeIndex() *scopeIndex {
	return m.Memo(scopeIndexKey{}, func() any { return buildScopeIndex(m) }).(*scopeIndex)
}

func buildScopeIndex(m *Model) *scopeIndex {
	x := &scopeIndex{
		hostsByName: map[string][]int{}, hostsByNamespace: map[string][]int{},
		vsByHost: map[string][]int{}, vsByNamespace: map[string][]int{},
	}
	for i, h := range m.Hostnames {
		svc := m.Services[h]
		lower := strings.ToLower(svc.Hostname)
		x.hostsByName[lower] = append(x.hostsByName[lower], i)
		x.hostsByNamespace[svc.Namespace] = append(x.hostsByNamespace[svc.Namespace], i)
		if strings.HasPrefix(lower, "*") {
			x.wildcardHosts = append(x.wildcardHosts, i)
		}
	}
	for i, vs := range m.VirtualServices {
		x.vsByNamespace[vs.Ref.Namespace] = append(x.vsByNamespace[vs.Ref.Namespace], i)
		wild := false
		for _, h := range vs.Hosts {
			lower := strings.ToLower(h)
			x.vsByHost[lower] = append(x.vsByHost[lower], i)
			wild = wild || strings.HasPrefix(lower, "*")
		}
		if wild {
			x.wildcardVS = append(x.wildcardVS, i)
		}
	}
	return x
}

// candidates are the positions an egress host may match: every one of its
// namespace (all for "*") when its host is a wildcard, else those of its
// exact host and those whose own host is a wildcard (which Allows matches
// the other way round).
func candidates(e EgressHost, proxyNS string, byName, byNamespace map[string][]int, wildcards []int, all int) []int {
	ns := e.Namespace
	switch ns {
	case "~":
		return nil
	case ".":
		ns = proxyNS
	}
	if strings.HasPrefix(e.Host, "*") {
		if ns == "*" {
			out := make([]int, all)
			for i := range out {
				out[i] = i
			}
			return out
		}
		return byNamespace[ns]
	}
	return append(slices.Clone(byName[e.Host]), wildcards...)
}

// union merges the egress hosts' candidates, in order, once each.
func union(sc *Sidecar, proxyNS string, byName, byNamespace map[string][]int, wildcards []int, all int) []int {
	var out []int
	for _, e := range sc.Egress {
		out = append(out, candidates(e, proxyNS, byName, byNamespace, wildcards, all)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AllowedHostnames are the hostnames (of m.Hostnames, in its order) whose
// services sc lets a proxy in proxyNS reach: those Allows accepts.
func (m *Model) AllowedHostnames(sc *Sidecar, proxyNS string) []string {
	x := m.scopeIndex()
	var out []string
	for _, i := range union(sc, proxyNS, x.hostsByName, x.hostsByNamespace, x.wildcardHosts, len(m.Hostnames)) {
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
	x := m.scopeIndex()
	var out []*VirtualService
	for _, i := range union(sc, proxyNS, x.vsByHost, x.vsByNamespace, x.wildcardVS, len(m.VirtualServices)) {
		vs := m.VirtualServices[i]
		if slices.ContainsFunc(vs.Hosts, func(h string) bool { return sc.Allows(proxyNS, vs.Ref.Namespace, h) }) {
			out = append(out, vs)
		}
	}
	return out
}
