// Package adsclient is a raw state-of-the-world ADS client for the
// end-to-end suites: one stream, every response queued by type, the
// stream's end kept, so a test can act as Envoy does (ask, ACK, NACK) and
// see exactly what the control plane sent or why it hung up.
package adsclient

import (
	"context"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Stream is one ADS stream of one node.
type Stream struct {
	Node   *corev3.Node
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	mu     sync.Mutex
	queue  map[string][]*discoveryv3.DiscoveryResponse
	err    error
	signal chan struct{}
}

// Dial connects to addr (plaintext unless opts say otherwise) and opens
// a stream for nodeID; both end with the test.
func Dial(t testing.TB, addr, nodeID string, opts ...grpc.DialOption) *Stream {
	t.Helper()
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return Open(t, conn, nodeID)
}

// Open opens a stream for nodeID on conn; it ends with the test.
func Open(t testing.TB, conn *grpc.ClientConn, nodeID string) *Stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &Stream{Node: &corev3.Node{Id: nodeID}, stream: stream, queue: map[string][]*discoveryv3.DiscoveryResponse{}, signal: make(chan struct{}, 1)}
	go c.read()
	return c
}

func (c *Stream) read() {
	for {
		resp, err := c.stream.Recv()
		c.mu.Lock()
		if err != nil {
			c.err = err
		} else {
			c.queue[resp.TypeUrl] = append(c.queue[resp.TypeUrl], resp)
		}
		c.mu.Unlock()
		select {
		case c.signal <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// Send sends a request for the node; version and nonce acknowledge a
// response, nack rejects it.
func (c *Stream) Send(typeURL string, names []string, version, nonce string, nack *statuspb.Status) error {
	return c.stream.Send(&discoveryv3.DiscoveryRequest{
		Node: c.Node, TypeUrl: typeURL, ResourceNames: names, VersionInfo: version, ResponseNonce: nonce, ErrorDetail: nack,
	})
}

// Poll returns the next response of the type, or nil when none came
// within timeout or the stream has ended.
func (c *Stream) Poll(typeURL string, timeout time.Duration) *discoveryv3.DiscoveryResponse {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		if q := c.queue[typeURL]; len(q) > 0 {
			c.queue[typeURL] = q[1:]
			c.mu.Unlock()
			return q[0]
		}
		ended := c.err != nil
		c.mu.Unlock()
		if ended {
			return nil
		}
		select {
		case <-c.signal:
		case <-deadline:
			return nil
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Err is the error the stream ended with; nil while it is open.
func (c *Stream) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
