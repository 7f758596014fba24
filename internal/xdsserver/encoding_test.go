package xdsserver

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// A body is proto's encoding of the response whichever way its chunks
// hold the resources: copied into a cached chunk, or referenced (no cache,
// or a cache past its bound).
func TestBodiesDecodeAsTheirResponse(t *testing.T) {
	items := clusterItems(t, NewBuilder(), "a", 300)
	for cname, cc := range map[string]*chunkCache{"no cache": nil, "cache": newChunkCache(maxChunkBytes), "cache full": newChunkCache(0)} {
		for name, tc := range map[string]struct {
			enc  *encoded
			want proto.Message
			got  proto.Message
		}{
			"sotw": {encSotW(cc, typeURLs[typeCluster], "v1", items),
				&discoveryv3.DiscoveryResponse{VersionInfo: "v1", TypeUrl: typeURLs[typeCluster], Nonce: "n", Resources: anysOf(items)},
				&discoveryv3.DiscoveryResponse{}},
			"delta": {encDelta(cc, typeURLs[typeCluster], "v1", items, []string{"gone"}),
				&discoveryv3.DeltaDiscoveryResponse{SystemVersionInfo: "v1", TypeUrl: typeURLs[typeCluster], Nonce: "n", Resources: deltasOf(items), RemovedResources: []string{"gone"}},
				&discoveryv3.DeltaDiscoveryResponse{}},
		} {
			wire := (&outgoing{enc: tc.enc, nonce: "n", nonceField: sotwNonce}).wire()
			if err := proto.Unmarshal(wire.Materialize(), tc.got); err != nil {
				t.Fatalf("%s, %s: %v", cname, name, err)
			}
			if !proto.Equal(tc.got, tc.want) {
				t.Errorf("%s, %s: the body does not decode as its response", cname, name)
			}
			if tc.enc.n != len(wire.Materialize())-len(appendString(nil, sotwNonce, "n")) {
				t.Errorf("%s, %s: body counts %d bytes, holds %d", cname, name, tc.enc.n, wire.Len())
			}
		}
	}
}

// Without room to copy, a body references the builder's bytes: it costs
// its framing, not a copy of what it carries.
func TestBodiesPastTheBoundReferenceTheBuildersBytes(t *testing.T) {
	items := clusterItems(t, NewBuilder(), "a", 20)
	enc := encSotW(newChunkCache(0), typeURLs[typeCluster], "v1", items)
	for _, it := range items {
		if !referenced(enc.parts, it.any.Value) {
			t.Errorf("the body copies %s's bytes instead of referencing them", it.name)
		}
	}
}

// A large resource (a route table) is referenced even in a cached chunk:
// copying it would double it.
func TestLargeResourcesAreReferenced(t *testing.T) {
	b := NewBuilder()
	rc := &routev3.RouteConfiguration{Name: "80"}
	for i := range 400 {
		rc.VirtualHosts = append(rc.VirtualHosts, &routev3.VirtualHost{Name: fmt.Sprintf("svc-%d.ns.svc.cluster.local:80", i), Domains: []string{fmt.Sprintf("svc-%d.ns.svc.cluster.local", i)}})
	}
	big, err := b.item(typeRoute, rc)
	if err != nil {
		t.Fatal(err)
	}
	if len(big.any.Value) < referenceFrom {
		t.Fatalf("the route table is %d bytes, below %d", len(big.any.Value), referenceFrom)
	}
	items := append(clusterItems(t, b, "a", 3), big)
	sortItems(items)
	enc := encSotW(newChunkCache(maxChunkBytes), typeURLs[typeRoute], "v1", items)
	if !referenced(enc.parts, big.any.Value) {
		t.Error("a cached chunk copies a large resource instead of referencing it")
	}
}

// Two groups' sets that differ in their first items (their inbound
// clusters) and share the rest share the chunks of the rest: the bytes
// of one group's body are mostly the other's.
func TestSetsSharingTheirRestShareChunks(t *testing.T) {
	b := NewBuilder()
	common := clusterItems(t, b, "outbound|80||svc", 1000)
	first := append(clusterItems(t, b, "inbound|8080||a", 2), common...)
	second := append(clusterItems(t, b, "inbound|9090||b", 5), common...)
	cc := newChunkCache(maxChunkBytes)
	one := encSotW(cc, typeURLs[typeCluster], "v1", first)
	two := encSotW(cc, typeURLs[typeCluster], "v2", second)
	shared := 0
	for _, p := range two.parts {
		if referencedPart(one.parts, p) {
			shared += len(p)
		}
	}
	if shared < two.n*9/10 {
		t.Errorf("the second body shares %d of its %d bytes with the first; want at least 90%%", shared, two.n)
	}
	if len(two.parts) > two.n/chunkMin+8 {
		t.Errorf("the body has %d parts for %d bytes: chunks should be about %d bytes or more", len(two.parts), two.n, chunkMin)
	}
}

func clusterItems(t *testing.T, b *Builder, prefix string, n int) []*item {
	t.Helper()
	var items []*item
	for i := range n {
		it, err := b.item(typeCluster, &clusterv3.Cluster{Name: fmt.Sprintf("%s-%04d.ns.svc.cluster.local", prefix, i), AltStatName: strings.Repeat("x", 200)})
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	return items
}

func referencedPart(parts [][]byte, p []byte) bool {
	for _, q := range parts {
		if len(q) == len(p) && unsafe.SliceData(q) == unsafe.SliceData(p) {
			return true
		}
	}
	return false
}

func referenced(parts [][]byte, raw []byte) bool {
	for _, p := range parts {
		if len(p) == len(raw) && len(p) > 0 && unsafe.SliceData(p) == unsafe.SliceData(raw) {
			return true
		}
	}
	return false
}

func anysOf(items []*item) (out []*anypb.Any) {
	for _, it := range items {
		out = append(out, it.any)
	}
	return out
}

func deltasOf(items []*item) (out []*discoveryv3.Resource) {
	for _, it := range items {
		out = append(out, it.delta)
	}
	return out
}
