package bench

import (
	"context"
	"fmt"
	"sync"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The simulated proxies share the process, and its two cores, with the
// control plane. Decoding every response into DiscoveryResponse messages
// (a copy of every resource into a new Any, thousands per response) cost
// the proxies as much CPU as the whole control plane, and a real Envoy does
// that work on its own machine. So the proxies read the wire bytes
// directly: the few fields a proxy acts on are picked out with protowire,
// the resources stay slices of the received buffer, and a resource is
// decoded in full only the first time any proxy sees its bytes (store).

// ADS methods, as the generated clients name them.
const (
	methodSotW  = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
	methodDelta = "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"
)

// rawFrame receives a message's bytes undecoded, in gRPC's receive
// buffers as they came (a 1.7 MiB response is some hundred of them):
// copying it whole into one buffer first cost the proxies a fifth of
// their CPU, so it is read where it lies (rope); free returns the
// buffers once the frame has been read.
type rawFrame struct{ data mem.BufferSlice }

func (f *rawFrame) rope() *rope {
	bufs := make([][]byte, len(f.data))
	for i, b := range f.data {
		bufs[i] = b.ReadOnlyData()
	}
	r := ropeOf(bufs...)
	return &r
}

func (f *rawFrame) free() { f.data.Free() }

// rawCodec marshals requests as protos and hands responses over as bytes.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	if w, ok := v.(*withNames); ok {
		b, err := proto.Marshal(w.req)
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b), mem.SliceBuffer(w.names)}, nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	f, ok := v.(*rawFrame)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	data.Ref() // gRPC frees data after this returns
	f.data = data
	return nil
}

// withNames is a DiscoveryRequest (without resource names) followed by its
// resource_names field, already encoded: a message proto decodes as the
// request with those names (fields may come in any order).
type withNames struct {
	req   *discoveryv3.DiscoveryRequest
	names []byte
}

// resourceNamesField is DiscoveryRequest.resource_names.
const resourceNamesField = 3

func namesField(names []string) []byte {
	size := 0
	for _, n := range names {
		size += protowire.SizeTag(resourceNamesField) + protowire.SizeBytes(len(n))
	}
	b := make([]byte, 0, size)
	for _, n := range names {
		b = protowire.AppendString(protowire.AppendTag(b, resourceNamesField, protowire.BytesType), n)
	}
	return b
}

// adsStream is one ADS stream read as raw frames.
type adsStream struct{ cs grpc.ClientStream }

// openADS opens a stream on a shared connection with the proxy's own
// token as the stream's credentials, as the connection is shared by
// proxies of many pods.
func openADS(ctx context.Context, conn *grpc.ClientConn, method, token string) (*adsStream, error) {
	cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method,
		grpc.ForceCodecV2(rawCodec{}), grpc.PerRPCCredentials(bearer(token)))
	if err != nil {
		return nil, err
	}
	return &adsStream{cs: cs}, nil
}

func (s *adsStream) send(m any) error { return s.cs.SendMsg(m) }

// recv returns the next message; the caller frees it when done with its
// bytes (the store keeps copies of what it interns).
func (s *adsStream) recv() (*rawFrame, error) {
	f := &rawFrame{}
	if err := s.cs.RecvMsg(f); err != nil {
		return nil, err
	}
	return f, nil
}

// sotwFrame is what a proxy reads of a DiscoveryResponse.
type sotwFrame struct {
	version, typeURL, nonce string
	// values are the resources' encodings (Any.value), in order.
	values []rope
}

// deltaFrame is what a proxy reads of a DeltaDiscoveryResponse.
type deltaFrame struct {
	typeURL, nonce string
	values         []rope
	removed        []string
}

// parseSotW reads DiscoveryResponse fields 1 (version_info), 2 (resources),
// 4 (type_url) and 5 (nonce).
func parseSotW(b []byte) (sotwFrame, error) {
	r := ropeOf(b)
	return parseSotWFrom(&r, nil)
}

// parseSotWFrom reads a response into a frame whose values append to into
// (a buffer of the caller's, see valueBufs).
func parseSotWFrom(r *rope, into []rope) (sotwFrame, error) {
	f := sotwFrame{values: into[:0]}
	err := r.eachField(func(num protowire.Number, v rope) error {
		switch num {
		case 1:
			f.version = string(v.flat())
		case 2:
			val, err := anyValue(v)
			f.values = append(f.values, val)
			return err
		case 4:
			f.typeURL = string(v.flat())
		case 5:
			f.nonce = string(v.flat())
		}
		return nil
	})
	return f, err
}

// parseDelta reads DeltaDiscoveryResponse fields 2 (resources: Resource,
// whose field 2 is the Any), 4 (type_url), 5 (nonce) and 6
// (removed_resources).
func parseDelta(b []byte) (deltaFrame, error) {
	r := ropeOf(b)
	return parseDeltaFrom(&r, nil)
}

// parseDeltaFrom is parseSotWFrom's Delta counterpart.
func parseDeltaFrom(r *rope, into []rope) (deltaFrame, error) {
	f := deltaFrame{values: into[:0]}
	err := r.eachField(func(num protowire.Number, v rope) error {
		switch num {
		case 2:
			var a rope
			if err := v.eachField(func(n protowire.Number, rv rope) error {
				if n == 2 {
					a = rv
				}
				return nil
			}); err != nil {
				return err
			}
			val, err := anyValue(a)
			f.values = append(f.values, val)
			return err
		case 4:
			f.typeURL = string(v.flat())
		case 5:
			f.nonce = string(v.flat())
		case 6:
			f.removed = append(f.removed, string(v.flat()))
		}
		return nil
	})
	return f, err
}

// anyValue returns an Any's field 2 (value).
func anyValue(r rope) (rope, error) {
	var out rope
	err := r.eachField(func(num protowire.Number, v rope) error {
		if num == 2 {
			out = v
		}
		return nil
	})
	return out, err
}

// valueBufs hold frames' value lists between responses: a response of
// 1639 clusters grew its list a dozen times, for every proxy of a mass
// connect. A stream takes one for a response and gives it back once the
// response is handled (the values point into the response's buffers, so
// they cannot outlive it anyway).
var valueBufs = sync.Pool{New: func() any { return new([]rope) }}
