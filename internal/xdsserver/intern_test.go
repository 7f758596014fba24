package xdsserver

import (
	"testing"
	"unsafe"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc/mem"
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
	n.intern([]string{"a", "b", "c", "d", "e"})
	if len(n.table) > 2 {
		t.Errorf("%d names kept, bound 2", len(n.table))
	}
	l := []string{"e"}
	n.intern(l)
	if l[0] != "e" {
		t.Error("interning must keep the name")
	}
}
