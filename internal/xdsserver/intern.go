package xdsserver

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
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

// Field numbers of the name lists decodeRequest interns: resource_names
// in DiscoveryRequest; resource_names_subscribe and _unsubscribe in
// DeltaDiscoveryRequest.
const (
	sotwNames                        = 3
	deltaSubscribe, deltaUnsubscribe = 3, 4
)

// decodeRequest decodes a discovery request whose name lists (lists, in
// field order from 3) are read straight from the wire into the table's
// strings: a name already known costs no allocation, so the thousands of
// names of 2000 proxies' requests during a mass connect are not each
// allocated only to be replaced. The rest of the message goes through
// proto.
func (n *nameTable) decodeRequest(data mem.BufferSlice, m proto.Message, lists ...*[]string) error {
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	b := buf.ReadOnlyData()
	raw := make([][][]byte, len(lists))
	rest := make([]byte, 0, 256)
	for len(b) > 0 {
		num, typ, tn := protowire.ConsumeTag(b)
		if tn < 0 {
			return protowire.ParseError(tn)
		}
		fn := protowire.ConsumeFieldValue(num, typ, b[tn:])
		if fn < 0 {
			return protowire.ParseError(fn)
		}
		if i := int(num) - sotwNames; typ == protowire.BytesType && i >= 0 && i < len(lists) {
			v, _ := protowire.ConsumeBytes(b[tn:])
			if !utf8.Valid(v) {
				return fmt.Errorf("resource name %q: invalid UTF-8", v)
			}
			raw[i] = append(raw[i], v)
		} else {
			rest = append(rest, b[:tn+fn]...)
		}
		b = b[tn+fn:]
	}
	if err := proto.Unmarshal(rest, m); err != nil {
		return err
	}
	for i, l := range lists {
		*l = n.strings(raw[i])
	}
	return nil
}

// strings returns the table's string for each name.
func (n *nameTable) strings(raw [][]byte) []string {
	if len(raw) == 0 {
		return nil
	}
	out := make([]string, len(raw))
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, b := range raw {
		if s, ok := n.table[string(b)]; ok {
			out[i] = s
			continue
		}
		if len(n.table) >= n.max {
			clear(n.table)
		}
		s := string(b)
		n.table[s] = s
		out[i] = s
	}
	return out
}
