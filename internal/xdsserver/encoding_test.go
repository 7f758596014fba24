package xdsserver

import (
	"testing"
	"unsafe"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// A body is proto's encoding of the response, and the resources' bytes in
// it are the builder's own, referenced: a body costs its framing, not a
// copy of what it carries.
func TestBodiesReferenceTheBuildersBytes(t *testing.T) {
	b := NewBuilder()
	var items []*item
	for _, name := range []string{"outbound|80||a.ns.svc.cluster.local", "outbound|80||b.ns.svc.cluster.local"} {
		it, err := b.item(typeCluster, &clusterv3.Cluster{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	for name, tc := range map[string]struct {
		enc  *encoded
		want proto.Message
		got  proto.Message
	}{
		"sotw": {encSotW(typeURLs[typeCluster], "v1", items),
			&discoveryv3.DiscoveryResponse{VersionInfo: "v1", TypeUrl: typeURLs[typeCluster], Nonce: "n", Resources: anysOf(items)},
			&discoveryv3.DiscoveryResponse{}},
		"delta": {encDelta(typeURLs[typeCluster], "v1", items, []string{"gone"}),
			&discoveryv3.DeltaDiscoveryResponse{SystemVersionInfo: "v1", TypeUrl: typeURLs[typeCluster], Nonce: "n", Resources: deltasOf(items), RemovedResources: []string{"gone"}},
			&discoveryv3.DeltaDiscoveryResponse{}},
	} {
		wire := (&outgoing{enc: tc.enc, nonce: "n", nonceField: sotwNonce}).wire()
		if err := proto.Unmarshal(wire.Materialize(), tc.got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !proto.Equal(tc.got, tc.want) {
			t.Errorf("%s: decoded %v, want %v", name, tc.got, tc.want)
		}
		for _, it := range items {
			if !referenced(tc.enc.parts, it.any.Value) {
				t.Errorf("%s: the body copies %s's bytes instead of referencing them", name, it.name)
			}
		}
	}
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
