package xdsserver

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"sync"
	"unicode/utf8"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/sailplane/sailplane/internal/bufpool"
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
	// lists are whole lists by their wire bytes: a state-of-the-world
	// proxy repeats its 1635 load assignment names in every ACK, and an
	// ACK naming what the last one named gets the very same slice (which
	// the streams' subscriptions and the tracker then recognise by
	// pointer). Bounded by the bytes of the wire spans kept.
	lists     map[uint64]wireList
	listBytes int
	// byStart finds those lists from where they start in a message, by
	// the hash of their first listKey bytes: an ACK repeating a known
	// list is then recognised with one comparison of its bytes, without
	// walking its 1635 entries or hashing all of them.
	byStart map[uint64][]*wireList
}

// wireList is a decoded list and the wire bytes it was decoded from.
type wireList struct {
	raw   []byte
	names []string
}

const (
	maxInternedNames = 1 << 20
	maxListBytes     = 64 << 20
	// listFrom is the shortest list (in wire bytes) worth keeping whole.
	listFrom = 256
	// listKey is how many of a list's first bytes find it (byStart), and
	// maxSameStart how many lists one start holds (newest kept).
	listKey      = 64
	maxSameStart = 8
)

var listSeed = maphash.MakeSeed()

func newNameTable(max int) *nameTable {
	return &nameTable{table: map[string]string{}, max: max, lists: map[uint64]wireList{}, byStart: map[uint64][]*wireList{}}
}

// sotwNames is the field number of the first name list decodeRequest
// interns: resource_names in DiscoveryRequest, and in
// DeltaDiscoveryRequest resource_names_subscribe (3) then
// resource_names_unsubscribe (4).
const sotwNames = 3

// decodeRequest decodes a discovery request whose name lists (lists, in
// field order from 3) are read straight from the wire into the table's
// strings: a name already known costs no allocation, so the thousands of
// names of 2000 proxies' requests during a mass connect are not each
// allocated only to be replaced. The rest of the message goes through
// proto.
func (n *nameTable) decodeRequest(data mem.BufferSlice, m proto.Message, lists ...*[]string) error {
	buf := data.MaterializeToBuffer(bufpool.Dirty)
	defer buf.Free()
	whole := buf.ReadOnlyData()
	spans := make([]span, len(lists))
	rest, err := n.splitNames(whole, spans)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(rest, m); err != nil {
		return err
	}
	for i, l := range lists {
		if *l, err = n.list(whole, sotwNames+i, spans[i]); err != nil {
			return err
		}
	}
	return nil
}

// splitNames finds where each list's entries lie (spans[i] for field
// number sotwNames+i) and returns the message's other fields. Where a list
// starts with a whole known list (knownAt), its entries are skipped in
// one step.
func (n *nameTable) splitNames(msg []byte, spans []span) ([]byte, error) {
	rest := make([]byte, 0, 256)
	for b := msg; len(b) > 0; {
		at := len(msg) - len(b)
		num, typ, tn := protowire.ConsumeTag(b)
		if tn < 0 {
			return nil, protowire.ParseError(tn)
		}
		i := int(num) - sotwNames
		names := typ == protowire.BytesType && i >= 0 && i < len(spans)
		if names && spans[i].to == 0 {
			if l := n.knownAt(b); l != nil {
				spans[i].from, spans[i].to, spans[i].known = at, at+len(l.raw), l
				b = b[len(l.raw):]
				continue
			}
		}
		fn := protowire.ConsumeFieldValue(num, typ, b[tn:])
		if fn < 0 {
			return nil, protowire.ParseError(fn)
		}
		if names {
			spans[i].add(at, at+tn+fn)
		} else {
			rest = append(rest, b[:tn+fn]...)
		}
		b = b[tn+fn:]
	}
	return rest, nil
}

// knownAt is the known list b starts with, when the list ends there: what
// follows is not another entry of the same field (the list's first byte
// is its field's tag, one byte for fields 3 and 4).
func (n *nameTable) knownAt(b []byte) *wireList {
	if len(b) < listKey {
		return nil
	}
	h := maphash.Bytes(listSeed, b[:listKey])
	n.mu.Lock()
	candidates := n.byStart[h]
	n.mu.Unlock()
	for _, l := range candidates {
		if len(l.raw) <= len(b) && bytes.Equal(l.raw, b[:len(l.raw)]) && (len(b) == len(l.raw) || b[len(l.raw)] != l.raw[0]) {
			return l
		}
	}
	return nil
}

// namesIn reads the values of field num in msg (all of them, wherever
// they are), each checked to be UTF-8 as proto checks strings.
func namesIn(msg []byte, num protowire.Number) ([][]byte, error) {
	var out [][]byte
	for b := msg; len(b) > 0; {
		n, typ, tn := protowire.ConsumeTag(b)
		fn := protowire.ConsumeFieldValue(n, typ, b[tn:])
		if n == num && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b[tn:])
			if !utf8.Valid(v) {
				return nil, fmt.Errorf("resource name %q: invalid UTF-8", v)
			}
			out = append(out, v)
		}
		b = b[tn+fn:] // splitNames has checked the message
	}
	return out, nil
}

// span is where a list's entries lie in a message; split is set when
// other fields come between them.
type span struct {
	from, to int
	split    bool
	// known is the list these bytes are, when splitNames recognised them.
	known *wireList
}

func (s *span) add(from, to int) {
	switch {
	case s.to == 0:
		s.from, s.to = from, to
	case s.to == from:
		s.to, s.known = to, nil
	default:
		s.split = true
	}
}

// list returns the names of field num: the slice handed out for the same
// wire bytes before (they were checked then), or a new one of the table's
// strings.
func (n *nameTable) list(msg []byte, num int, sp span) ([]string, error) {
	if sp.to == 0 {
		return nil, nil
	}
	if sp.known != nil && !sp.split {
		return sp.known.names, nil
	}
	w := msg[sp.from:sp.to]
	if sp.split {
		w = msg // names between other fields: read them from the whole
	}
	if !sp.split && len(w) >= listFrom {
		h := maphash.Bytes(listSeed, w)
		n.mu.Lock()
		l, ok := n.lists[h]
		n.mu.Unlock()
		if ok && bytes.Equal(l.raw, w) {
			return l.names, nil
		}
	}
	raw, err := namesIn(w, protowire.Number(num))
	if sp.split || len(w) < listFrom || err != nil {
		return n.strings(raw), err
	}
	names := n.strings(raw)
	h := maphash.Bytes(listSeed, w)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.listBytes+len(w) > maxListBytes {
		clear(n.lists)
		clear(n.byStart)
		n.listBytes = 0
	}
	l := &wireList{raw: bytes.Clone(w), names: names}
	n.lists[h] = *l
	n.listBytes += len(w)
	start := maphash.Bytes(listSeed, l.raw[:listKey])
	same := n.byStart[start]
	if len(same) == maxSameStart {
		same = same[1:]
	}
	n.byStart[start] = append(same, l)
	return names, nil
}

// strings returns the table's string for each name. Lists handed out are
// shared: nothing may modify a decoded request's names.
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
