package bench

import (
	"bytes"
	"math"
	"net"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

func clusterAny(t *testing.T, name string) *anypb.Any {
	t.Helper()
	a, err := anypb.New(&clusterv3.Cluster{Name: name, ConnectTimeout: durationpb.New(1e9)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The proxies read responses with protowire; what they read must be what
// the proto encoding holds, with the fields they ignore skipped.
func TestParseSotWReadsTheEncoding(t *testing.T) {
	a, b := clusterAny(t, "a"), clusterAny(t, "b")
	raw, err := proto.Marshal(&discoveryv3.DiscoveryResponse{
		VersionInfo: "v7", Resources: []*anypb.Any{a, b}, Canary: true, TypeUrl: resource.ClusterType, Nonce: "42",
		ControlPlane: &corev3.ControlPlane{Identifier: "sailplane"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseSotW(raw)
	if err != nil {
		t.Fatal(err)
	}
	if f.version != "v7" || f.typeURL != resource.ClusterType || f.nonce != "42" || len(f.values) != 2 {
		t.Fatalf("read %+v", f)
	}
	if !bytes.Equal(f.values[0].flat(), a.Value) || !bytes.Equal(f.values[1].flat(), b.Value) {
		t.Error("resource bytes differ from the Anys' values")
	}
	if _, err := parseSotW(raw[:len(raw)-3]); err == nil {
		t.Error("a truncated response must be an error, not a shorter one")
	}
}

func TestParseDeltaReadsTheEncoding(t *testing.T) {
	a := clusterAny(t, "a")
	raw, err := proto.Marshal(&discoveryv3.DeltaDiscoveryResponse{
		SystemVersionInfo: "s1", TypeUrl: resource.ClusterType, Nonce: "3",
		Resources:        []*discoveryv3.Resource{{Name: "a", Version: "h", Resource: a, Aliases: []string{"x"}}},
		RemovedResources: []string{"gone", "old"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseDelta(raw)
	if err != nil {
		t.Fatal(err)
	}
	if f.typeURL != resource.ClusterType || f.nonce != "3" || len(f.values) != 1 || !bytes.Equal(f.values[0].flat(), a.Value) {
		t.Fatalf("read %+v", f)
	}
	if len(f.removed) != 2 || f.removed[0] != "gone" || f.removed[1] != "old" {
		t.Errorf("removed %v", f.removed)
	}
}

// A request sent with its names encoded ahead decodes as the request with
// those names.
func TestRequestsWithEncodedNamesDecodeAsTheRequest(t *testing.T) {
	names := []string{"outbound|80||a.ns.svc.cluster.local", "outbound|80||b.ns.svc.cluster.local"}
	req := &discoveryv3.DiscoveryRequest{TypeUrl: resource.EndpointType, VersionInfo: "v1", ResponseNonce: "3"}
	wire, err := rawCodec{}.Marshal(&withNames{req: req, names: namesField(names)})
	if err != nil {
		t.Fatal(err)
	}
	var got discoveryv3.DiscoveryRequest
	if err := proto.Unmarshal(wire.Materialize(), &got); err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(req).(*discoveryv3.DiscoveryRequest)
	want.ResourceNames = names
	if !proto.Equal(&got, want) {
		t.Errorf("decoded %v, want %v", &got, want)
	}
}

// A response read where gRPC's buffers left it, cut anywhere, is read as
// the same response.
func TestResponsesInPiecesReadAsWhole(t *testing.T) {
	raw, err := proto.Marshal(&discoveryv3.DeltaDiscoveryResponse{
		SystemVersionInfo: "v7", TypeUrl: resource.ClusterType, Nonce: "42", RemovedResources: []string{"gone"},
		Resources: []*discoveryv3.Resource{{Name: "a", Version: "1", Resource: clusterAny(t, "a")}, {Name: "b", Version: "2", Resource: clusterAny(t, "b")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := parseDelta(raw)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(raw); i++ {
		for j := i; j < len(raw); j += 7 {
			got, err := parseDeltaFrom(new(ropeOf(raw[:i:i], raw[i:j:j], raw[j:])), nil)
			if err != nil {
				t.Fatalf("cut at %d and %d: %v", i, j, err)
			}
			if got.typeURL != whole.typeURL || got.nonce != whole.nonce || len(got.values) != 2 ||
				!bytes.Equal(got.values[0].flat(), whole.values[0].flat()) || !bytes.Equal(got.values[1].flat(), whole.values[1].flat()) || got.removed[0] != "gone" {
				t.Fatalf("cut at %d and %d: read %+v, want %+v", i, j, got, whole)
			}
		}
	}
	s := newStore()
	one := ropeOf(raw[:5], raw[5:])
	if s.hash(one) != s.hash(ropeOf(raw)) {
		t.Error("a rope's hash must be its bytes' hash, however they are cut")
	}
	if _, err := parseDeltaFrom(new(ropeOf(raw[:10], raw[10:len(raw)-2])), nil); err == nil {
		t.Error("a truncated response must be an error")
	}
}

// A varint is read the same whether it lies in one buffer or is cut
// anywhere across several, and a truncated one is an error.
func TestRopeVarintsAcrossCuts(t *testing.T) {
	values := []uint64{0, 1, 127, 128, 300, 1 << 21, 1<<35 + 7, math.MaxUint64}
	var raw []byte
	for _, v := range values {
		raw = protowire.AppendVarint(raw, v)
	}
	for i := 0; i <= len(raw); i++ {
		for j := i; j <= len(raw); j++ {
			r := ropeOf(raw[:i:i], raw[i:j:j], raw[j:])
			for k, want := range values {
				got, err := r.varint()
				if err != nil || got != want {
					t.Fatalf("cut at %d and %d: varint %d read %d, %v; want %d", i, j, k, got, err, want)
				}
			}
			if _, err := r.varint(); err == nil {
				t.Fatalf("cut at %d and %d: reading past the end must be an error", i, j)
			}
		}
	}
	cut := ropeOf(raw[:len(raw)-1])
	for range values[:len(values)-1] {
		if _, err := cut.varint(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cut.varint(); err == nil {
		t.Error("a varint missing its last byte must be an error")
	}
}

// A buffered connection hands over what the socket sent, in order, however
// small the reads, and gives its buffer back once drained.
func TestBufferedConnReadsInOrder(t *testing.T) {
	a, b := net.Pipe()
	want := make([]byte, 3*readBufferSize+123)
	for i := range want {
		want[i] = byte(i * 7)
	}
	go func() {
		for rest := want; len(rest) > 0; {
			n := min(len(rest), 100000)
			_, _ = a.Write(rest[:n])
			rest = rest[n:]
		}
		_ = a.Close()
	}()
	c := &bufferedConn{Conn: b}
	var got []byte
	buf := make([]byte, 1000)
	for {
		n, err := c.Read(buf[:1+len(got)%999])
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want the %d sent, in order", len(got), len(want))
	}
	if c.buf != nil {
		t.Error("a drained connection still holds its buffer")
	}
}
