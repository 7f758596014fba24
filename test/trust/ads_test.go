package trust

import (
	"crypto/tls"
	"testing"
	"time"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sailplane/sailplane/test/adsclient"
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
type adsClient struct{ *adsclient.Stream }

func openADS(t *testing.T, conn *grpc.ClientConn, nodeID string) *adsClient {
	t.Helper()
	return &adsClient{adsclient.Open(t, conn, nodeID)}
}

// ask requests names of the type, acknowledging last when it is set. A
// refused stream may have ended already; the test then reads why.
func (c *adsClient) ask(t *testing.T, typeURL string, names []string, last *discoveryv3.DiscoveryResponse) {
	t.Helper()
	var version, nonce string
	if last != nil {
		version, nonce = last.VersionInfo, last.Nonce
	}
	if err := c.Send(typeURL, names, version, nonce, nil); err != nil {
		t.Logf("send %s: %v (the stream has ended)", typeURL, err)
	}
}

// next returns the next response of the type, or nil when none came
// within timeout or the stream ended.
func (c *adsClient) next(typeURL string, timeout time.Duration) *discoveryv3.DiscoveryResponse {
	return c.Poll(typeURL, timeout)
}

// ended waits for the stream to end and returns its status.
func (c *adsClient) ended(t *testing.T, timeout time.Duration) *status.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := c.Err(); err != nil {
			return status.Convert(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("stream of %s did not end within %s", c.Node.Id, timeout)
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
