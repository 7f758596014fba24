package xdsserver

import (
	"sync"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
)

// Envoy names every load assignment and route table it wants, on every
// request: 2000 proxies of a 1000-service mesh hold some 3 million names,
// and each stream's subscription and status keep them. The names
// are the same few thousand for every proxy, so requests are decoded with
// their names interned: the streams share one copy of each (and the
// streams' subscriptions share whole lists, see names.go).
//
// The table is bounded: names come from clients, and a client sending ever
// new names must not grow it without end. Past the bound it starts afresh;
// names already handed out stay valid, they are just not shared with later
// requests until seen again.
type nameTable struct {
	mu    sync.Mutex
	table map[string]string
	max   int
}

const maxInternedNames = 1 << 20

func newNameTable(max int) *nameTable { return &nameTable{table: map[string]string{}, max: max} }

// intern replaces each name by the table's copy.
func (n *nameTable) intern(list []string) {
	if len(list) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, s := range list {
		if c, ok := n.table[s]; ok {
			list[i] = c
			continue
		}
		if len(n.table) >= n.max {
			clear(n.table)
		}
		n.table[s] = s
	}
}

// internRequest interns the names of a decoded discovery request.
func (n *nameTable) internRequest(v any) {
	switch m := v.(type) {
	case *discoveryv3.DiscoveryRequest:
		n.intern(m.ResourceNames)
	case *discoveryv3.DeltaDiscoveryRequest:
		n.intern(m.ResourceNamesSubscribe)
		n.intern(m.ResourceNamesUnsubscribe)
	}
}
