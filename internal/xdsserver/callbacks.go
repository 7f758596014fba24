package xdsserver

import (
	"context"
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"

	"github.com/sailplane/sailplane/internal/names"
)

// callbacks feed the tracker from the ADS server and turn away proxies
// whose node id is not Istio's shape: config is per pod, and a node that
// cannot be tied to one would get nothing useful.
type callbacks struct{ s *Server }

func (c *callbacks) checkNode(streamID int64, node *corev3.Node) error {
	if node == nil || node.GetId() == "" {
		return nil // later requests on a stream carry no node
	}
	if _, err := names.ParseNodeID(node.GetId()); err != nil {
		c.s.log.Info("closing xDS stream: unusable node id", "stream", streamID, "error", err.Error())
		return fmt.Errorf("sailplane: %w", err)
	}
	return nil
}

func (c *callbacks) OnStreamOpen(context.Context, int64, string) error { return nil }
func (c *callbacks) OnStreamClosed(id int64, _ *corev3.Node)           { c.s.tracker.closed(id) }

func (c *callbacks) OnStreamRequest(id int64, req *discoveryv3.DiscoveryRequest) error {
	if err := c.checkNode(id, req.GetNode()); err != nil {
		return err
	}
	c.s.tracker.request(id, req.GetNode(), req.GetTypeUrl(), req.GetVersionInfo(), req.GetErrorDetail() != nil, req.GetResourceNames())
	return nil
}

func (c *callbacks) OnStreamResponse(_ context.Context, id int64, _ *discoveryv3.DiscoveryRequest, resp *discoveryv3.DiscoveryResponse) {
	c.s.tracker.sent(id, resp.GetTypeUrl(), resp.GetVersionInfo())
}

func (c *callbacks) OnDeltaStreamOpen(context.Context, int64, string) error { return nil }
func (c *callbacks) OnDeltaStreamClosed(id int64, _ *corev3.Node)           { c.s.tracker.closed(id) }

// OnStreamDeltaRequest records ACKs and NACKs of Delta streams. A Delta
// request acknowledges the response named by its nonce; the version is the
// one the tracker last sent for the type.
func (c *callbacks) OnStreamDeltaRequest(id int64, req *discoveryv3.DeltaDiscoveryRequest) error {
	if err := c.checkNode(id, req.GetNode()); err != nil {
		return err
	}
	t := c.s.tracker
	nodeID := req.GetNode().GetId()
	if nodeID == "" {
		t.mu.Lock()
		nodeID = t.streams[id]
		t.mu.Unlock()
	}
	acked := ""
	if req.GetResponseNonce() != "" {
		acked = t.sentVersion(nodeID, req.GetTypeUrl())
	}
	if req.GetErrorDetail() != nil {
		t.request(id, req.GetNode(), req.GetTypeUrl(), "", true, nil)
		t.nack(nodeID, req.GetTypeUrl(), acked, req.GetErrorDetail().GetMessage())
		return nil
	}
	t.request(id, req.GetNode(), req.GetTypeUrl(), acked, false, nil)
	return nil
}

func (c *callbacks) OnStreamDeltaResponse(id int64, _ *discoveryv3.DeltaDiscoveryRequest, resp *discoveryv3.DeltaDiscoveryResponse) {
	c.s.tracker.sent(id, resp.GetTypeUrl(), resp.GetSystemVersionInfo())
}

func (c *callbacks) OnFetchRequest(context.Context, *discoveryv3.DiscoveryRequest) error { return nil }
func (c *callbacks) OnFetchResponse(*discoveryv3.DiscoveryRequest, *discoveryv3.DiscoveryResponse) {
}
