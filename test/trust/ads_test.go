package trust

import (
	"context"
	"crypto/tls"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/test/envtestutil"
)

func k8sUID(s string) types.UID { return types.UID(s) }

// dialOpts are how a proxy reaches a port: TLS (with a token, a client
// certificate, or neither), or plaintext.
type dialOpts struct {
	tls   *tls.Config
	token string
}

func dial(t *testing.T, addr string, o dialOpts) *grpc.ClientConn {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if o.tls != nil {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(o.tls))}
		if o.token != "" {
			opts = append(opts, grpc.WithPerRPCCredentials(envtestutil.Bearer(o.token)))
		}
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// adsClient is a raw state-of-the-world ADS stream, ACKing what it gets.
type adsClient struct {
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	node   *corev3.Node
	mu     sync.Mutex
	queue  map[string][]*discoveryv3.DiscoveryResponse
	err    error
	signal chan struct{}
}

func openADS(t *testing.T, conn *grpc.ClientConn, nodeID string) *adsClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &adsClient{stream: stream, node: &corev3.Node{Id: nodeID}, queue: map[string][]*discoveryv3.DiscoveryResponse{}, signal: make(chan struct{}, 1)}
	go c.read()
	return c
}

func (c *adsClient) read() {
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

func (c *adsClient) ask(t *testing.T, typeURL string, names []string, last *discoveryv3.DiscoveryResponse) {
	t.Helper()
	req := &discoveryv3.DiscoveryRequest{Node: c.node, TypeUrl: typeURL, ResourceNames: names}
	if last != nil {
		req.VersionInfo, req.ResponseNonce = last.VersionInfo, last.Nonce
	}
	if err := c.stream.Send(req); err != nil {
		t.Logf("send %s: %v (the stream has ended)", typeURL, err)
	}
}

// next returns the next response of the type, or nil when none came
// within timeout or the stream ended.
func (c *adsClient) next(typeURL string, timeout time.Duration) *discoveryv3.DiscoveryResponse {
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

// failure is the error the stream ended with; nil while it is open.
func (c *adsClient) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// ended waits for the stream to end and returns its status.
func (c *adsClient) ended(t *testing.T, timeout time.Duration) *status.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return status.Convert(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("stream of %s did not end within %s", c.node.Id, timeout)
	return nil
}

// secrets decodes an SDS response.
func secrets(t *testing.T, r *discoveryv3.DiscoveryResponse) map[string]*tlsv3.Secret {
	t.Helper()
	out := map[string]*tlsv3.Secret{}
	if r == nil {
		return out
	}
	for _, a := range r.Resources {
		var s tlsv3.Secret
		if err := a.UnmarshalTo(&s); err != nil {
			t.Fatal(err)
		}
		out[s.Name] = &s
	}
	return out
}
