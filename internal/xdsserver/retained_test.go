package xdsserver

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"unsafe"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// TestProxiesNamingOneListShareIt: what the server keeps of a request's
// names is the one interned list every proxy naming the same shares, even
// after a Delta stream asked for the same names (kept sorted, so in
// another order) and after ACKs decoded the names afresh.
func TestProxiesNamingOneListShareIt(t *testing.T) {
	names := []string{"c", "a", "b"} // Envoy's order, not sorted
	ts := newTestServer(t, Options{}, mustSnapshot(t, NewBuilder(), withEndpoints(resources(), 80, append([]string{barrierName}, names...)...)))
	sotw := func(node string) {
		st := ts.stream(t, node, false)
		st.ask(resource.EndpointType, "", names...)
		st.ask(resource.EndpointType, st.nextSotW().VersionInfo, names...) // the ACK
		st.nothingPending()
	}
	sotw(testNode)
	d := deltaStart(t, ts, "sidecar~10.0.0.3~c.ns~ns.svc.cluster.local")
	d.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNamesSubscribe: names})
	if got := deltaResourceNames(d.nextDelta()); len(got) != len(names) {
		t.Fatalf("the Delta stream got %v, want %v", got, names)
	}
	sotw(otherNode)

	a := ts.s.Tracker().Subscriptions(testNode)[resource.EndpointType]
	b := ts.s.Tracker().Subscriptions(otherNode)[resource.EndpointType]
	if !slices.Equal(a, names) || !slices.Equal(b, names) {
		t.Fatalf("subscriptions %v and %v, want %v as asked", a, b, names)
	}
	if unsafe.SliceData(a) != unsafe.SliceData(b) {
		t.Error("two proxies naming the same load assignments keep two lists; want one shared")
	}
}

// TestListTableKeepsEachOrder: the same names in two orders have one id;
// each order stays interned, so lists of either order are shared.
func TestListTableKeepsEachOrder(t *testing.T) {
	lt := newListTable(maxInternedLists)
	envoy := lt.intern([]string{"b", "a"})
	sorted := lt.intern([]string{"a", "b"})
	if envoy.id != sorted.id || envoy == sorted {
		t.Fatalf("want one id and two lists: %v %v", envoy.id, sorted.id)
	}
	if lt.intern([]string{"b", "a"}) != envoy || lt.intern([]string{"a", "b"}) != sorted {
		t.Error("a list interned in either order must be found again")
	}
	for i := range 2 * maxOrders {
		perm := []string{"a", "b", "c", "d", "e"}
		perm[0], perm[1+i%4] = perm[1+i%4], perm[0]
		perm[2], perm[3] = perm[3], perm[2]
		lt.intern(perm)
	}
	for id, lists := range lt.lists {
		if len(lists) > maxOrders {
			t.Errorf("id %v keeps %d orders, bound %d", id, len(lists), maxOrders)
		}
	}
}

// TestTrackerKeepsWhatItReadsOfTheNode: of a new proxy's node the tracker
// keeps the metadata keys sailplane reads and the locality, not the rest
// of Istio's metadata.
func TestTrackerKeepsWhatItReadsOfTheNode(t *testing.T) {
	meta, err := structpb.NewStruct(map[string]any{
		"GENERATOR": "grpc", "NAMESPACE": "ns", "LABELS": map[string]any{"app": "a"}, "ISTIO_VERSION": "1.24.0",
		"ANNOTATIONS": map[string]any{"sidecar.istio.io/status": "{}"}, "PROXY_CONFIG": map[string]any{"concurrency": 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	node := &corev3.Node{Id: testNode, Metadata: meta, Locality: &corev3.Locality{Region: "r", Zone: "z"}}
	tr := newTracker(nil)
	if err := tr.request(1, node, resource.ClusterType, "", false, nil); err != nil {
		t.Fatal(err)
	}
	p := tr.Snapshot()[0]
	var keys []string
	for k := range p.Metadata.GetFields() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"GENERATOR", "ISTIO_VERSION", "LABELS", "NAMESPACE"}; !slices.Equal(keys, want) {
		t.Errorf("kept metadata keys %v, want %v", keys, want)
	}
	for _, k := range keys {
		if !proto.Equal(p.Metadata.GetFields()[k], meta.GetFields()[k]) {
			t.Errorf("metadata %s kept as %v, announced %v", k, p.Metadata.GetFields()[k], meta.GetFields()[k])
		}
	}
	if p.Generator != "grpc" || p.version != "1.24.0" || !proto.Equal(p.Locality, node.Locality) {
		t.Errorf("generator %q, version %q, locality %v", p.Generator, p.version, p.Locality)
	}
}

// TestStreamKeepsOnlyItsNodeID: a stream gives later requests its first
// request's node id, and keeps nothing else of that node (Envoy's lists
// every extension it was built with).
func TestStreamKeepsOnlyItsNodeID(t *testing.T) {
	b := streamBase{}
	first := envoyNode(t, testNode)
	n := first
	b.fillNode(&n)
	if n != first {
		t.Fatal("the first request must keep the node it sent")
	}
	var later *corev3.Node
	b.fillNode(&later)
	if !proto.Equal(later, &corev3.Node{Id: testNode}) {
		t.Errorf("a later request was given a node of id %q with %d extensions, want the id only", later.GetId(), len(later.GetExtensions()))
	}
	if len(b.node.GetExtensions()) != 0 || b.node.GetMetadata() != nil {
		t.Error("the stream keeps its first request's node")
	}
}

// TestEditedListsKeepNoCopies: Delta streams editing their subscriptions
// to the same names share one list, and the table keeps nothing of the
// slices each edit built (keyed by such a slice, it kept one dead copy of
// the names per edit).
func TestEditedListsKeepNoCopies(t *testing.T) {
	lt := newListTable(maxInternedLists)
	var base []string
	for i := range 2 * bySliceFrom {
		base = append(base, fmt.Sprintf("outbound|80||s%02d.ns.svc.cluster.local", i))
	}
	start := lt.intern(base)
	var first *nameList
	for range 100 {
		l := lt.edited(start, []string{"outbound|80||z.ns.svc.cluster.local"}, []string{base[0]})
		if first == nil {
			first = l
		}
		if l != first {
			t.Fatal("equal edits gave two lists; want one shared")
		}
	}
	if got := len(lt.bySlice); got != 1 {
		t.Errorf("the table keys %d slices; want 1 (the decoded request's), none per edit", got)
	}
	if lt.count != 2 {
		t.Errorf("the table holds %d lists; want 2", lt.count)
	}
}
