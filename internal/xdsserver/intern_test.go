package xdsserver

import (
	"fmt"
	"slices"
	"testing"
	"unsafe"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

func decodeRequest(t *testing.T, c wireCodec, m proto.Message, into proto.Message) {
	t.Helper()
	raw, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(raw)}, into); err != nil {
		t.Fatal(err)
	}
}

// Two proxies naming the same resources hold one copy of each name.
func TestDecodedRequestsShareTheirNames(t *testing.T) {
	c := newWireCodec(nil)
	var a, b discoveryv3.DiscoveryRequest
	decodeRequest(t, c, &discoveryv3.DiscoveryRequest{ResourceNames: []string{"outbound|80||a.ns.svc.cluster.local", "x"}}, &a)
	decodeRequest(t, c, &discoveryv3.DiscoveryRequest{ResourceNames: []string{"outbound|80||a.ns.svc.cluster.local", "x"}}, &b)
	if a.ResourceNames[0] != b.ResourceNames[0] || unsafe.StringData(a.ResourceNames[0]) != unsafe.StringData(b.ResourceNames[0]) {
		t.Error("the same name in two requests must be one string")
	}
	var d discoveryv3.DeltaDiscoveryRequest
	decodeRequest(t, c, &discoveryv3.DeltaDiscoveryRequest{ResourceNamesSubscribe: []string{"x"}, ResourceNamesUnsubscribe: []string{"outbound|80||a.ns.svc.cluster.local"}}, &d)
	if unsafe.StringData(d.ResourceNamesSubscribe[0]) != unsafe.StringData(a.ResourceNames[1]) ||
		unsafe.StringData(d.ResourceNamesUnsubscribe[0]) != unsafe.StringData(a.ResourceNames[0]) {
		t.Error("Delta requests' names must be shared too")
	}
}

func TestNameTableIsBounded(t *testing.T) {
	n := newNameTable(2)
	n.strings(raws("a", "b", "c", "d", "e"))
	if len(n.table) > 2 {
		t.Errorf("%d names kept, bound 2", len(n.table))
	}
	if l := n.strings(raws("e")); l[0] != "e" {
		t.Error("interning must keep the name")
	}
}

// Reading the names from the wire decodes the same request proto does,
// every other field included, and refuses what proto refuses.
func TestDecodedRequestsAreWhatProtoDecodes(t *testing.T) {
	c := newWireCodec(nil)
	node := &corev3.Node{Id: "sidecar~10.0.0.1~a.ns~ns.svc.cluster.local", Cluster: "a.ns"}
	for _, m := range []proto.Message{
		&discoveryv3.DiscoveryRequest{VersionInfo: "v1", Node: node, ResourceNames: []string{"b", "a", ""}, TypeUrl: "t", ResponseNonce: "7", ErrorDetail: &statuspb.Status{Code: 3, Message: "bad"}},
		&discoveryv3.DeltaDiscoveryRequest{Node: node, TypeUrl: "t", ResourceNamesSubscribe: []string{"x", "y"}, ResourceNamesUnsubscribe: []string{"z"}, InitialResourceVersions: map[string]string{"x": "1"}, ResponseNonce: "3"},
		&discoveryv3.DiscoveryRequest{TypeUrl: "t"},
	} {
		got := m.ProtoReflect().New().Interface()
		decodeRequest(t, c, m, got)
		if !proto.Equal(got, m) {
			t.Errorf("decoded %v, want %v", got, m)
		}
	}
	var split []byte
	split = protowire.AppendString(protowire.AppendTag(split, sotwNames, protowire.BytesType), "a")
	split = protowire.AppendString(protowire.AppendTag(split, 4, protowire.BytesType), "t")
	split = protowire.AppendString(protowire.AppendTag(split, sotwNames, protowire.BytesType), "b")
	var got discoveryv3.DiscoveryRequest
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(split)}, &got); err != nil || !slices.Equal(got.ResourceNames, []string{"a", "b"}) || got.TypeUrl != "t" {
		t.Errorf("names between other fields: decoded %v (%v)", &got, err)
	}
	bad := protowire.AppendString(protowire.AppendTag(nil, sotwNames, protowire.BytesType), "\xff")
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(bad)}, &discoveryv3.DiscoveryRequest{}); err == nil {
		t.Error("a resource name that is not UTF-8 must be refused, as proto refuses it")
	}
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer([]byte{0x1a, 0x05, 'a'})}, &discoveryv3.DiscoveryRequest{}); err == nil {
		t.Error("a truncated request must be refused")
	}
}

func raws(names ...string) [][]byte {
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = []byte(n)
	}
	return out
}

// A proxy repeating its list in every ACK is handed the same slice, and
// its subscription the same interned list, without the names being
// hashed again.
func TestRepeatedListsAreOneSlice(t *testing.T) {
	c := newWireCodec(nil)
	var names []string
	for i := range 100 {
		names = append(names, fmt.Sprintf("outbound|80||svc-%d.ns.svc.cluster.local", i))
	}
	var a, b, other discoveryv3.DiscoveryRequest
	decodeRequest(t, c, &discoveryv3.DiscoveryRequest{ResourceNames: names, ResponseNonce: "1"}, &a)
	decodeRequest(t, c, &discoveryv3.DiscoveryRequest{ResourceNames: names, ResponseNonce: "2", VersionInfo: "v"}, &b)
	if unsafe.SliceData(a.ResourceNames) != unsafe.SliceData(b.ResourceNames) {
		t.Error("two requests naming the same list must share one slice")
	}
	decodeRequest(t, c, &discoveryv3.DiscoveryRequest{ResourceNames: append(slices.Clone(names[1:]), "other")}, &other)
	if unsafe.SliceData(other.ResourceNames) == unsafe.SliceData(a.ResourceNames) || other.ResourceNames[len(names)-1] != "other" {
		t.Error("another list must be decoded as itself")
	}
	lists := newListTable(maxInternedLists)
	if lists.intern(a.ResourceNames) != lists.intern(b.ResourceNames) {
		t.Error("the same slice must intern as the same list")
	}
}

// A list recognised from where it starts (knownAt) is that list only when
// it ends where the known one ends: a list that goes on, one that stops
// short and one continued after other fields are each decoded as
// themselves, as proto decodes them.
func TestKnownListsAreRecognisedOnlyWhole(t *testing.T) {
	c := newWireCodec(nil)
	var names []string
	for i := range 50 {
		names = append(names, fmt.Sprintf("outbound|8080||svc-%d.ns-%d.svc.cluster.local", i, i%7))
	}
	var known discoveryv3.DiscoveryRequest
	decodeRequest(t, c, &discoveryv3.DiscoveryRequest{VersionInfo: "1", ResourceNames: names, TypeUrl: "t", ResponseNonce: "1"}, &known)
	longer := append(slices.Clone(names), "outbound|8080||extra.ns.svc.cluster.local")
	for _, want := range []*discoveryv3.DiscoveryRequest{
		{VersionInfo: "2", ResourceNames: names, TypeUrl: "t", ResponseNonce: "2"},
		{VersionInfo: "2", ResourceNames: longer, TypeUrl: "t", ResponseNonce: "3"},
		{VersionInfo: "2", ResourceNames: names[:len(names)-1], TypeUrl: "t", ResponseNonce: "4"},
		{ResourceNames: names},
	} {
		var got discoveryv3.DiscoveryRequest
		decodeRequest(t, c, want, &got)
		if !proto.Equal(&got, want) {
			t.Errorf("decoded %d names, want %d", len(got.ResourceNames), len(want.ResourceNames))
		}
	}
	var same discoveryv3.DiscoveryRequest
	decodeRequest(t, c, &discoveryv3.DiscoveryRequest{VersionInfo: "9", ResourceNames: names, TypeUrl: "t", ResponseNonce: "9"}, &same)
	if unsafe.SliceData(same.ResourceNames) != unsafe.SliceData(known.ResourceNames) {
		t.Error("an ACK repeating a known list must get its slice")
	}
	// The known list, then another field, then one more name.
	raw, err := proto.Marshal(&discoveryv3.DiscoveryRequest{ResourceNames: names})
	if err != nil {
		t.Fatal(err)
	}
	raw = protowire.AppendString(protowire.AppendTag(raw, 4, protowire.BytesType), "t")
	raw = protowire.AppendString(protowire.AppendTag(raw, sotwNames, protowire.BytesType), "tail")
	var split discoveryv3.DiscoveryRequest
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(raw)}, &split); err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Clone(names), "tail"); !slices.Equal(split.ResourceNames, want) || split.TypeUrl != "t" {
		t.Errorf("a known list continued after another field: %d names (type %q), want %d", len(split.ResourceNames), split.TypeUrl, len(want))
	}
}
