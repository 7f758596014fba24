package xdsserver

import (
	"bytes"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// The server's streams are tested through the wire: a real gRPC server on
// loopback and raw xDS client streams whose codec keeps each response's
// bytes as they arrived.

// rawCodec marshals requests with proto and keeps responses' bytes.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	b, err := proto.Marshal(v.(proto.Message))
	return mem.BufferSlice{mem.SliceBuffer(b)}, err
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	r := v.(*rawResponse)
	r.raw = data.Materialize()
	return proto.Unmarshal(r.raw, r.msg)
}

type rawResponse struct {
	raw []byte
	msg proto.Message
}

// testServer is a plaintext port with a client connection to it. Every
// node that connects is given current.
type testServer struct {
	s       *Server
	conn    *grpc.ClientConn
	current atomic.Pointer[Snapshot]
}

func newTestServer(t testing.TB, opts Options, first *Snapshot) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ts := &testServer{s: New(ctx, logr.Discard(), opts)}
	ts.current.Store(first)
	ts.s.OnNewProxy(func(id string) { ts.s.SetSnapshot(id, ts.current.Load()) })
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ts.s.Serve(ctx, lis) }()
	ts.conn, err = grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.conn.Close() })
	return ts
}

// publish gives every named node snap, as a reconcile does.
func (ts *testServer) publish(snap *Snapshot, nodes ...string) {
	ts.current.Store(snap)
	for _, n := range nodes {
		ts.s.SetSnapshot(n, snap)
	}
	ts.s.Retain(map[string]bool{testNode: true, otherNode: true})
}

const otherNode = "sidecar~10.0.0.2~b.ns~ns.svc.cluster.local"

// testStream is one client stream, SotW or Delta.
type testStream struct {
	t     *testing.T
	cs    grpc.ClientStream
	delta bool
	node  string
	got   chan *rawResponse
	// nonces: the last nonce received per type.
	nonces map[string]string
}

func (ts *testServer) stream(t *testing.T, node string, delta bool) *testStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	method := "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
	if delta {
		method = "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"
	}
	cs, err := ts.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		t.Fatal(err)
	}
	st := &testStream{t: t, cs: cs, delta: delta, node: node, got: make(chan *rawResponse, 64), nonces: map[string]string{}}
	go func() {
		for {
			r := &rawResponse{msg: &discoveryv3.DiscoveryResponse{}}
			if delta {
				r.msg = &discoveryv3.DeltaDiscoveryResponse{}
			}
			if err := cs.RecvMsg(r); err != nil {
				close(st.got)
				return
			}
			st.got <- r
		}
	}()
	return st
}

func (st *testStream) send(m proto.Message) {
	st.t.Helper()
	switch r := m.(type) {
	case *discoveryv3.DiscoveryRequest:
		r.Node = &corev3.Node{Id: st.node}
	case *discoveryv3.DeltaDiscoveryRequest:
		r.Node = &corev3.Node{Id: st.node}
	}
	if err := st.cs.SendMsg(m); err != nil {
		st.t.Fatal(err)
	}
}

// next is the next response; the test fails if none comes.
func (st *testStream) next() *rawResponse {
	st.t.Helper()
	select {
	case r, ok := <-st.got:
		if !ok {
			st.t.Fatal("the stream ended")
		}
		switch m := r.msg.(type) {
		case *discoveryv3.DiscoveryResponse:
			st.nonces[m.TypeUrl] = m.Nonce
		case *discoveryv3.DeltaDiscoveryResponse:
			st.nonces[m.TypeUrl] = m.Nonce
		}
		return r
	case <-time.After(20 * time.Second):
		st.t.Fatal("no response")
	}
	return nil
}

func (st *testStream) nextSotW() *discoveryv3.DiscoveryResponse {
	st.t.Helper()
	return st.next().msg.(*discoveryv3.DiscoveryResponse)
}

func (st *testStream) nextDelta() *discoveryv3.DeltaDiscoveryResponse {
	st.t.Helper()
	return st.next().msg.(*discoveryv3.DeltaDiscoveryResponse)
}

// ask sends a SotW request answering the type's last response.
func (st *testStream) ask(typeURL, version string, names ...string) {
	st.t.Helper()
	st.send(&discoveryv3.DiscoveryRequest{TypeUrl: typeURL, VersionInfo: version, ResourceNames: names, ResponseNonce: st.nonces[typeURL]})
}

// nothingPending proves that nothing was sent for what the stream asked
// before: it asks for listeners afresh (a request always answered) and
// requires that answer to be the next response. Requests are handled in
// order, so an answer to an earlier one would come first.
func (st *testStream) nothingPending() {
	st.t.Helper()
	if st.delta {
		// Dropping a load assignment and asking for it again is answered.
		st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNamesUnsubscribe: []string{barrierName}})
		st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResourceNamesSubscribe: []string{barrierName}})
		r := st.nextDelta()
		if r.TypeUrl != resource.EndpointType || len(r.Resources) != 1 || r.Resources[0].Name != barrierName {
			st.t.Fatalf("got %s %v before the barrier's answer", r.TypeUrl, deltaResourceNames(r))
		}
		st.send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resource.EndpointType, ResponseNonce: r.Nonce}) // the ACK
		return
	}
	st.ask(resource.ListenerType, "")
	r := st.nextSotW()
	if r.TypeUrl != resource.ListenerType {
		st.t.Fatalf("got a %s response (%v) where none was due", r.TypeUrl, sotwResourceNames(st.t, r))
	}
	st.ask(resource.ListenerType, r.VersionInfo) // the ACK
}

// barrierName is a load assignment every Delta test snapshot holds.
const barrierName = "barrier"

func deltaResourceNames(r *discoveryv3.DeltaDiscoveryResponse) []string {
	var out []string
	for _, res := range r.Resources {
		out = append(out, res.Name)
	}
	return out
}

// sotwResourceNames decodes the names of a response's resources.
func sotwResourceNames(t *testing.T, r *discoveryv3.DiscoveryResponse) []string {
	t.Helper()
	var out []string
	for _, a := range r.Resources {
		m, err := a.UnmarshalNew()
		if err != nil {
			t.Fatal(err)
		}
		switch v := m.(type) {
		case interface{ GetClusterName() string }:
			out = append(out, v.GetClusterName())
		case interface{ GetName() string }:
			out = append(out, v.GetName())
		}
	}
	return out
}

// withoutNonce splits a response's bytes into what precedes its nonce
// field and the nonce, which must be the last field.
func withoutNonce(t *testing.T, raw []byte, nonce string) []byte {
	t.Helper()
	tail := protowire.AppendString(protowire.AppendTag(nil, 5, protowire.BytesType), nonce)
	if !bytes.HasSuffix(raw, tail) {
		t.Fatalf("the response does not end in its nonce field %q", nonce)
	}
	return raw[:len(raw)-len(tail)]
}
