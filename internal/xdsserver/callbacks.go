package xdsserver

import (
	"context"
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/names"
)

// callbacks feed the tracker from one port's streams and turn away
// streams that may not have what they ask for: a node id that is not
// Istio's shape (config is per pod), a verified caller claiming another
// namespace's or pod's node id, and any request for secrets on the
// plaintext port.
type callbacks struct {
	s       *Server
	channel channel
}

// errNoSecretsHere ends a plaintext stream that asks for secrets. The xDS
// protocol has no per-type refusal: the stream ends, with the reason.
var errNoSecretsHere = status.Error(codes.PermissionDenied, fmt.Sprintf(
	"sailplane: secrets (SDS) are served only on the authenticated xDS port %d, to the identity they belong to; this stream is on the plaintext port",
	defaults.XDSTLSPort))

func (c *callbacks) key(id int64) int64 { return streamKey(c.channel, false, id) }

// deltaKey is a Delta stream's key (see streamKey).
func (c *callbacks) deltaKey(id int64) int64 { return streamKey(c.channel, true, id) }

// checkRequest decides whether a stream may make a request.
func (c *callbacks) checkRequest(key, id int64, node *corev3.Node, typeURL string) error {
	if c.channel == plaintext && typeURL == resource.SecretType {
		return errNoSecretsHere
	}
	if node == nil || node.GetId() == "" {
		return nil // later requests on a stream carry no node
	}
	if _, err := names.ParseNodeID(node.GetId()); err != nil {
		c.s.log.Info("closing xDS stream: unusable node id", "stream", id, "port", c.channel.String(), "error", err.Error())
		return fmt.Errorf("sailplane: %w", err)
	}
	if who, ok := c.s.tracker.streamIdentity(key); ok {
		if err := authorizeNode(who, node.GetId(), c.s.pods()); err != nil {
			c.s.refused(who, node.GetId(), err)
			return err
		}
	}
	return nil
}

// opened records the stream's port and, on the authenticated port, the
// identity the interceptor verified; a stream without one there cannot
// happen (the interceptor refuses it), and is refused again here should
// the wiring ever change.
func (c *callbacks) opened(ctx context.Context, key int64, typeURL string) error {
	who, ok := identity.FromContext(ctx)
	if c.channel == authenticated && !ok {
		return status.Error(codes.Unauthenticated, "sailplane: stream carries no verified identity")
	}
	if c.channel == plaintext && typeURL == resource.SecretType {
		return errNoSecretsHere
	}
	var p *identity.Identity
	if ok {
		p = &who
	}
	c.s.tracker.opened(key, c.channel, p)
	return nil
}

func (c *callbacks) OnStreamOpen(ctx context.Context, id int64, typeURL string) error {
	return c.opened(ctx, c.key(id), typeURL)
}
func (c *callbacks) OnStreamClosed(id int64, _ *corev3.Node) { c.s.tracker.closed(c.key(id)) }

func (c *callbacks) OnStreamRequest(id int64, req *discoveryv3.DiscoveryRequest) error {
	if err := c.checkRequest(c.key(id), id, req.GetNode(), req.GetTypeUrl()); err != nil {
		return err
	}
	return c.s.tracker.request(c.key(id), req.GetNode(), req.GetTypeUrl(), req.GetVersionInfo(), req.GetErrorDetail() != nil, req.GetResourceNames())
}

// responded records a response about to be written to a stream: the
// version sent and its size (size: bytes of its resources).
func (c *callbacks) responded(id int64, typeURL, version string, size int) {
	c.s.tracker.sent(c.key(id), typeURL, version)
	c.s.observeSent(c.channel, c.key(id), typeURL, version, size)
}

func (c *callbacks) OnDeltaStreamOpen(ctx context.Context, id int64, typeURL string) error {
	return c.opened(ctx, c.deltaKey(id), typeURL)
}
func (c *callbacks) OnDeltaStreamClosed(id int64, _ *corev3.Node) {
	c.s.tracker.closed(c.deltaKey(id))
}

// OnStreamDeltaRequest records ACKs and NACKs of Delta streams. A Delta
// request acknowledges the response named by its nonce; the version is the
// one the tracker last sent for the type.
func (c *callbacks) OnStreamDeltaRequest(id int64, req *discoveryv3.DeltaDiscoveryRequest) error {
	key := c.deltaKey(id)
	if err := c.checkRequest(key, id, req.GetNode(), req.GetTypeUrl()); err != nil {
		return err
	}
	t := c.s.tracker
	nodeID := req.GetNode().GetId()
	if nodeID == "" {
		nodeID = t.nodeOfStream(key)
	}
	acked := ""
	if req.GetResponseNonce() != "" {
		acked = t.sentVersion(nodeID, req.GetTypeUrl())
	}
	if req.GetErrorDetail() != nil {
		if err := t.request(key, req.GetNode(), req.GetTypeUrl(), "", true, nil); err != nil {
			return err
		}
		t.nack(nodeID, req.GetTypeUrl(), acked, req.GetErrorDetail().GetMessage())
		return nil
	}
	return t.request(key, req.GetNode(), req.GetTypeUrl(), acked, false, nil)
}

func (c *callbacks) deltaResponded(id int64, typeURL, version string, size int) {
	c.s.tracker.sent(c.deltaKey(id), typeURL, version)
	c.s.observeSent(c.channel, c.deltaKey(id), typeURL, version, size)
}
