package xdsserver

import (
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	// The proto codec must be registered before wireCodec asks for it.
	_ "google.golang.org/grpc/encoding/proto"

	"github.com/sailplane/sailplane/internal/bufpool"
)

// wireCodec is the gRPC server's codec. The server's own responses are
// bodies encoded once and shared (see encoding.go): the codec hands gRPC
// those bytes and the stream's nonce. Other discovery responses are written
// directly: their resources are already marshalled (see Builder), and the
// generic encoder's walk over thousands of Anys per response, for every
// proxy, was most of what remained of the cost of sending. The bytes are
// the ones proto's deterministic encoding produces (fields in number
// order). A message holding any field this encoder does not write goes
// through the proto codec, as does every other message.
//
// Large responses are encoded within the push budget (see budget.go).
// Requests are decoded with their resource names interned (see intern.go).
type wireCodec struct {
	proto  encoding.CodecV2
	budget *pushBudget
	names  *nameTable
}

func newWireCodec(budget *pushBudget) wireCodec {
	return wireCodec{proto: encoding.GetCodecV2("proto"), budget: budget, names: newNameTable(maxInternedNames)}
}

func (wireCodec) Name() string { return "proto" }

func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error {
	switch m := v.(type) {
	case *discoveryv3.DiscoveryRequest:
		return c.names.decodeRequest(data, m, &m.ResourceNames)
	case *discoveryv3.DeltaDiscoveryRequest:
		return c.names.decodeRequest(data, m, &m.ResourceNamesSubscribe, &m.ResourceNamesUnsubscribe)
	}
	return c.proto.Unmarshal(data, v)
}

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case *outgoing:
		return m.wire(), nil
	case *discoveryv3.DiscoveryResponse:
		if size, ok := sotwSize(m); ok {
			return c.encode(size, func(b []byte) []byte { return appendSotW(b, m) }), nil
		}
	case *discoveryv3.DeltaDiscoveryResponse:
		if size, ok := deltaSize(m); ok {
			return c.encode(size, func(b []byte) []byte { return appendDelta(b, m) }), nil
		}
	}
	return c.proto.Marshal(v)
}

// encode writes a message of known size into a buffer from gRPC's pool,
// once the push budget has room for it; gRPC returns the buffer to the
// pool, and the room to the budget, once the message is on the wire.
func (c wireCodec) encode(size int, write func([]byte) []byte) mem.BufferSlice {
	pool := releasingPool{BufferPool: bufpool.Dirty, release: c.budget.take(size)}
	buf := pool.Get(size)
	*buf = write((*buf)[:0])
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}
}

// Field numbers, from envoy/service/discovery/v3/discovery.proto and
// google/protobuf/any.proto.
const (
	sotwVersion, sotwResources, sotwTypeURL, sotwNonce                   = 1, 2, 4, 5
	deltaVersion, deltaResources, deltaTypeURL, deltaNonce, deltaRemoved = 1, 2, 4, 5, 6
	resVersion, resResource, resName                                     = 1, 2, 3
	anyTypeURL, anyValue                                                 = 1, 2
)

// only reports whether m has no unknown fields and no populated field
// outside allowed.
func only(m protoreflect.ProtoMessage, allowed ...protoreflect.FieldNumber) bool {
	r := m.ProtoReflect()
	if len(r.GetUnknown()) > 0 {
		return false
	}
	ok := true
	r.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		for _, n := range allowed {
			if fd.Number() == n {
				return true
			}
		}
		ok = false
		return false
	})
	return ok
}

func sotwSize(m *discoveryv3.DiscoveryResponse) (int, bool) {
	if !only(m, sotwVersion, sotwResources, sotwTypeURL, sotwNonce) {
		return 0, false
	}
	n := stringSize(sotwVersion, m.VersionInfo) + stringSize(sotwTypeURL, m.TypeUrl) + stringSize(sotwNonce, m.Nonce)
	for _, a := range m.Resources {
		s, ok := anySize(a)
		if !ok {
			return 0, false
		}
		n += embeddedSize(sotwResources, s)
	}
	return n, true
}

func appendSotW(b []byte, m *discoveryv3.DiscoveryResponse) []byte {
	b = appendString(b, sotwVersion, m.VersionInfo)
	for _, a := range m.Resources {
		s, _ := anySize(a)
		b = appendAny(appendLen(b, sotwResources, s), a)
	}
	b = appendString(b, sotwTypeURL, m.TypeUrl)
	return appendString(b, sotwNonce, m.Nonce)
}

func deltaSize(m *discoveryv3.DeltaDiscoveryResponse) (int, bool) {
	if !only(m, deltaVersion, deltaResources, deltaTypeURL, deltaNonce, deltaRemoved) {
		return 0, false
	}
	n := stringSize(deltaVersion, m.SystemVersionInfo) + stringSize(deltaTypeURL, m.TypeUrl) + stringSize(deltaNonce, m.Nonce)
	for _, r := range m.Resources {
		s, ok := resourceSize(r)
		if !ok {
			return 0, false
		}
		n += embeddedSize(deltaResources, s)
	}
	for _, name := range m.RemovedResources {
		n += embeddedSize(deltaRemoved, len(name)) // repeated: empty names are written too
	}
	return n, true
}

func appendDelta(b []byte, m *discoveryv3.DeltaDiscoveryResponse) []byte {
	b = appendString(b, deltaVersion, m.SystemVersionInfo)
	for _, r := range m.Resources {
		b = appendResource(b, r)
	}
	b = appendString(b, deltaTypeURL, m.TypeUrl)
	b = appendString(b, deltaNonce, m.Nonce)
	for _, name := range m.RemovedResources {
		b = append(appendLen(b, deltaRemoved, len(name)), name...) // repeated: empty names are written too
	}
	return b
}

// appendResource writes one resource of a Delta response (resourceSize
// has accepted it).
func appendResource(b []byte, r *discoveryv3.Resource) []byte {
	s, _ := resourceSize(r)
	b = appendString(appendLen(b, deltaResources, s), resVersion, r.Version)
	if r.Resource != nil {
		as, _ := anySize(r.Resource)
		b = appendAny(appendLen(b, resResource, as), r.Resource)
	}
	return appendString(b, resName, r.Name)
}

// plainResource reports whether a Delta resource has nothing but a name, a
// version and the resource. It is asked for every resource of every
// response, so it reads the fields directly rather than by reflection;
// TestWireCodecKnowsEveryResourceField fails when the proto gains a field
// this does not look at.
func plainResource(r *discoveryv3.Resource) bool {
	return r != nil && len(r.Aliases) == 0 && r.Ttl == nil && r.CacheControl == nil && r.Metadata == nil &&
		r.ResourceName == nil && len(r.ProtoReflect().GetUnknown()) == 0
}

func resourceSize(r *discoveryv3.Resource) (int, bool) {
	if !plainResource(r) {
		return 0, false
	}
	n := stringSize(resVersion, r.Version) + stringSize(resName, r.Name)
	if r.Resource != nil {
		s, ok := anySize(r.Resource)
		if !ok {
			return 0, false
		}
		n += embeddedSize(resResource, s)
	}
	return n, true
}

// anySize is the size of an Any's encoding; an Any with unknown fields is
// left to the proto codec.
func anySize(a *anypb.Any) (int, bool) {
	if a == nil || len(a.ProtoReflect().GetUnknown()) > 0 {
		return 0, false
	}
	n := stringSize(anyTypeURL, a.TypeUrl)
	if len(a.Value) > 0 {
		n += embeddedSize(anyValue, len(a.Value))
	}
	return n, true
}

func appendAny(b []byte, a *anypb.Any) []byte {
	b = appendString(b, anyTypeURL, a.TypeUrl)
	if len(a.Value) > 0 {
		b = append(appendLen(b, anyValue, len(a.Value)), a.Value...)
	}
	return b
}

// stringSize is the size of a singular string or bytes field, which proto3
// leaves out when empty.
func stringSize(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return embeddedSize(num, len(s))
}

func embeddedSize(num protowire.Number, n int) int {
	return protowire.SizeTag(num) + protowire.SizeBytes(n)
}

// appendString writes a singular string field, left out when empty.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return append(appendLen(b, num, len(s)), s...)
}

// appendLen writes the key and length of a length-delimited field whose
// n bytes follow.
func appendLen(b []byte, num protowire.Number, n int) []byte {
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.BytesType), uint64(n))
}
