package xdsserver

import (
	"bytes"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The written bytes must be exactly proto's deterministic encoding, for
// messages the fast path takes and for those it hands to the proto codec.
func TestWireCodecWritesProtosEncoding(t *testing.T) {
	cl, err := anypb.New(&clusterv3.Cluster{Name: "outbound|80||a.ns.svc.cluster.local", ConnectTimeout: durationpb.New(1e9)})
	if err != nil {
		t.Fatal(err)
	}
	emptyValue := &anypb.Any{TypeUrl: resource.ClusterType}
	withUnknown := &anypb.Any{TypeUrl: resource.ClusterType, Value: []byte{8, 1}}
	withUnknown.ProtoReflect().SetUnknown([]byte{0x98, 0x06, 0x01}) // field 99, varint 1
	for name, m := range map[string]proto.Message{
		"sotw":                    &discoveryv3.DiscoveryResponse{VersionInfo: "v1", Resources: []*anypb.Any{cl, emptyValue, {}}, TypeUrl: resource.ClusterType, Nonce: "7"},
		"sotw without resources":  &discoveryv3.DiscoveryResponse{VersionInfo: "v2", TypeUrl: resource.RouteType, Nonce: "8"},
		"sotw with control plane": &discoveryv3.DiscoveryResponse{VersionInfo: "v3", Resources: []*anypb.Any{cl}, ControlPlane: &corev3.ControlPlane{Identifier: "x"}},
		"sotw with canary":        &discoveryv3.DiscoveryResponse{Canary: true, Resources: []*anypb.Any{cl}},
		"sotw any with unknown":   &discoveryv3.DiscoveryResponse{Resources: []*anypb.Any{withUnknown}},
		"delta": &discoveryv3.DeltaDiscoveryResponse{SystemVersionInfo: "s", TypeUrl: resource.ClusterType, Nonce: "9",
			Resources:        []*discoveryv3.Resource{{Name: "a", Version: "h1", Resource: cl}, {Name: "b", Resource: &anypb.Any{}}, {Name: "c"}},
			RemovedResources: []string{"gone", ""}},
		"delta with aliases": &discoveryv3.DeltaDiscoveryResponse{Resources: []*discoveryv3.Resource{{Name: "a", Aliases: []string{"x"}, Resource: cl}}},
		"delta with a ttl":   &discoveryv3.DeltaDiscoveryResponse{Resources: []*discoveryv3.Resource{{Name: "a", Ttl: durationpb.New(5e9), Resource: cl}}},
		"a request":          &discoveryv3.DiscoveryRequest{VersionInfo: "v1", ResourceNames: []string{"a"}},
	} {
		got, err := newWireCodec(nil).Marshal(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if b := got.Materialize(); !bytes.Equal(b, want) {
			t.Errorf("%s: wrote %x, proto encodes %x", name, b, want)
		}
		got.Free()
	}
}

// plainResource checks Resource's fields by name; a field added to the
// proto must be added there too, or the codec would drop it.
func TestWireCodecKnowsEveryResourceField(t *testing.T) {
	known := map[string]bool{"name": true, "version": true, "resource": true, "aliases": true, "ttl": true, "cache_control": true, "metadata": true, "resource_name": true}
	fields := (&discoveryv3.Resource{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); !known[string(f.Name())] {
			t.Errorf("discovery.v3.Resource has a field %s (number %d) that plainResource does not check", f.Name(), f.Number())
		}
	}
}
