package xdsserver

import (
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"google.golang.org/protobuf/proto"
)

// nackCache stops the snapshot cache from answering a NACK with the very
// version the proxy just rejected. In state-of-the-world xDS a NACK carries
// the last version the proxy accepted, which differs from the cache's
// current version, so the stock cache sends the rejected config straight
// back, and the proxy rejects it again, in a tight loop. Here a NACK is
// recorded, and the request is made to look like it holds the rejected
// version: the watch then stays open until the configuration changes, and
// the next version goes out normally.
//
// Delta xDS needs no such help: the server records what it sent, so a NACK
// does not trigger a resend.
type nackCache struct {
	cachev3.SnapshotCache
	tracker *Tracker
}

func (c *nackCache) CreateWatch(req *cachev3.Request, sub cachev3.Subscription, out chan cachev3.Response) (func(), error) {
	if req.GetErrorDetail() == nil {
		return c.SnapshotCache.CreateWatch(req, sub, out)
	}
	nodeID := req.GetNode().GetId()
	rejected := ""
	if snap, err := c.GetSnapshot(nodeID); err == nil {
		rejected = snap.GetVersion(req.GetTypeUrl())
	}
	c.tracker.nack(nodeID, req.GetTypeUrl(), rejected, req.GetErrorDetail().GetMessage())
	if rejected == "" {
		return c.SnapshotCache.CreateWatch(req, sub, out)
	}
	held := proto.Clone(req).(*cachev3.Request)
	held.VersionInfo = rejected
	return c.SnapshotCache.CreateWatch(held, sub, out)
}
