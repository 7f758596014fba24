package xdsserver

import (
	"context"
	"sync"
	"time"
)

// groupCache is one port's configuration: each node's snapshot, and the
// streams open for it, which it wakes when the snapshot changes. A
// snapshot is a set per type of shared, already marshalled items (see
// Builder), and a stream's state is references to those sets, so a publish
// that hands a node the set it already has costs nothing.
type groupCache struct {
	mu      sync.Mutex
	nodes   map[string]*nodeState
	tracker *Tracker
	diffs   *diffCache
	enc     *encodings
	lists   *listTable
}

// nodeState is one proxy's snapshot and open streams. Each node has its
// own lock, so publishing to one proxy does not stall the streams of
// others.
type nodeState struct {
	mu      sync.Mutex
	snap    *Snapshot
	streams map[waker]struct{}
}

// waker is an open stream: wake tells it the node's snapshot changed.
type waker interface{ wake() }

func newGroupCache(t *Tracker, budget *pushBudget) *groupCache {
	return &groupCache{
		nodes: map[string]*nodeState{}, tracker: t, diffs: newDiffCache(),
		enc: newEncodings(budget, maxEncodingBytes), lists: newListTable(maxInternedLists),
	}
}

func (c *groupCache) node(id string) *nodeState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodeLocked(id)
}

func (c *groupCache) nodeLocked(id string) *nodeState {
	ns, ok := c.nodes[id]
	if !ok {
		ns = &nodeState{streams: map[waker]struct{}{}}
		c.nodes[id] = ns
	}
	return ns
}

// attach registers a stream with its node; the stream is woken for every
// new snapshot until it detaches. It holds the cache's lock, as Retain
// does, so a node is never forgotten between being found and attached to.
func (c *groupCache) attach(id string, w waker) *nodeState {
	c.mu.Lock()
	defer c.mu.Unlock()
	ns := c.nodeLocked(id)
	ns.mu.Lock()
	ns.streams[w] = struct{}{}
	ns.mu.Unlock()
	return ns
}

func (ns *nodeState) detach(w waker) {
	ns.mu.Lock()
	delete(ns.streams, w)
	ns.mu.Unlock()
}

// snapshot is the node's current snapshot (nil before the first).
func (ns *nodeState) snapshot() *Snapshot {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.snap
}

// SetSnapshot gives a node its configuration and wakes its streams.
func (c *groupCache) SetSnapshot(id string, snap *Snapshot) {
	ns := c.node(id)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.snap == snap {
		return
	}
	ns.snap = snap
	c.tracker.metrics.proxyBytes.WithLabelValues(id).Set(float64(snap.bytes()))
	for w := range ns.streams {
		w.wake()
	}
}

// GetSnapshot returns a node's configuration.
func (c *groupCache) GetSnapshot(id string) (*Snapshot, bool) {
	c.mu.Lock()
	ns, ok := c.nodes[id]
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	snap := ns.snapshot()
	return snap, snap != nil
}

// Retain forgets the snapshots of nodes that keep refuses and have no
// open stream, so pods that come and go do not accumulate. It ends a
// publish: differences and encodings no stream used during the last two
// publishes are let go.
func (c *groupCache) Retain(keep func(nodeID string) bool) {
	c.diffs.rotate()
	c.enc.rotate()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, ns := range c.nodes {
		if keep(id) {
			continue
		}
		ns.mu.Lock()
		idle := len(ns.streams) == 0
		ns.mu.Unlock()
		if idle {
			delete(c.nodes, id)
		}
	}
}

// sweepEvery is how often encodings and differences are rotated even
// without a publish: once the streams are quiet, what they were sent is
// let go within two sweeps, and a steady control plane holds no bodies.
const sweepEvery = 5 * time.Second

// sweep rotates until ctx ends.
func (c *groupCache) sweep(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.diffs.rotate()
			c.enc.rotate()
		}
	}
}

// rejected records a state-of-the-world NACK and returns the version the
// proxy rejected. A NACK carries the last version the proxy accepted; were
// that taken as what it holds, the rejected version would go straight back
// and be rejected again, in a tight loop. Holding the stream on the
// rejected version instead sends the next version when the configuration
// changes.
func (c *groupCache) rejected(id, typeURL, versionInfo, reason string) string {
	v := c.tracker.sentVersion(id, typeURL)
	if v == "" {
		if snap, ok := c.GetSnapshot(id); ok {
			v = snap.Version(typeURL)
		}
	}
	c.tracker.nack(id, typeURL, v, reason)
	if v == "" {
		return versionInfo
	}
	return v
}
