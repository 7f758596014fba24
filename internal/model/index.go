package model

import (
	"slices"
	"strings"
	"sync"
)

// ruleIndex narrows the rule lookups, which translation makes for every
// service of every outbound half, from every rule in the mesh to the few
// that can apply. It is built on first use; the model does not change after
// Build, and a model made from another with the same rules (WithSlices)
// shares it. Candidates keep the rules' precedence order, and the lookups then
// apply exactly the tests they applied to the whole list, so the answers
// are the same.
type ruleIndex struct {
	once sync.Once
	// destination rules by namespace
	drByNS map[string][]*DestinationRule
	// virtual services (by position) naming a host exactly, and those with
	// a wildcard host, which may match any host
	vsByHost map[string][]int
	vsWild   []int
}

// index is the model's rule index; a model not made by Build has none
// kept, and gets one built for the call.
func (m *Model) index() *ruleIndex {
	ix := m.rules
	if ix == nil {
		ix = &ruleIndex{}
	}
	ix.once.Do(func() {
		ix.drByNS = map[string][]*DestinationRule{}
		for _, dr := range m.DestinationRules {
			ix.drByNS[dr.Ref.Namespace] = append(ix.drByNS[dr.Ref.Namespace], dr)
		}
		ix.vsByHost = map[string][]int{}
		for i, vs := range m.VirtualServices {
			wild := false
			for _, h := range vs.Hosts {
				if strings.HasPrefix(h, "*") {
					wild = true
				} else if l := ix.vsByHost[h]; len(l) == 0 || l[len(l)-1] != i {
					ix.vsByHost[h] = append(l, i)
				}
			}
			if wild {
				ix.vsWild = append(ix.vsWild, i)
			}
		}
	})
	return ix
}

// virtualServicesNaming returns, in precedence order, the virtual services
// that have a host matching host.
func (ix *ruleIndex) virtualServicesNaming(m *Model, host string) []*VirtualService {
	pos := ix.vsByHost[host]
	if len(ix.vsWild) > 0 {
		pos = slices.Concat(pos, ix.vsWild)
		slices.Sort(pos)
		pos = slices.Compact(pos)
	}
	out := make([]*VirtualService, len(pos))
	for i, p := range pos {
		out[i] = m.VirtualServices[p]
	}
	return out
}
