package xdsserver

import (
	"context"
	"errors"
	"sync"

	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
)

// groupCache is the configuration cache behind go-control-plane's ADS
// server, in place of its snapshot cache, which does per stream what only
// needs doing per group: it wraps every resource of every response anew and
// marshals it again (half of all CPU with 2000 proxies), and it diffs every
// type of every Delta stream on every publish, changed or not.
//
// Here a snapshot is a set of shared, already marshalled items (see
// Builder): a response is a slice of pointers into them. A publish that
// hands a node the set it already has costs nothing, and a stream's type is
// looked at only when its set changed.
type groupCache struct {
	mu      sync.Mutex
	nodes   map[string]*nodeState
	tracker *Tracker
	sets    *setRegistry
}

var _ cachev3.Cache = (*groupCache)(nil)

// nodeState is one proxy's snapshot and open watches. Each node has its own
// lock, so publishing to one proxy does not stall the streams of others.
type nodeState struct {
	mu    sync.Mutex
	snap  *Snapshot
	sotw  map[*sotwWatch]struct{}
	delta map[*deltaWatch]struct{}
}

func newGroupCache(t *Tracker) *groupCache {
	return &groupCache{nodes: map[string]*nodeState{}, tracker: t, sets: newSetRegistry()}
}

func (c *groupCache) node(id string) *nodeState {
	c.mu.Lock()
	defer c.mu.Unlock()
	ns, ok := c.nodes[id]
	if !ok {
		ns = &nodeState{sotw: map[*sotwWatch]struct{}{}, delta: map[*deltaWatch]struct{}{}}
		c.nodes[id] = ns
	}
	return ns
}

// SetSnapshot gives a node its configuration and answers the node's open
// watches whose type changed.
func (c *groupCache) SetSnapshot(id string, snap *Snapshot) {
	ns := c.node(id)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.snap == snap {
		return
	}
	ns.snap = snap
	c.sets.add(snap)
	c.tracker.metrics.proxyBytes.WithLabelValues(id).Set(float64(snap.bytes()))
	for w := range ns.sotw {
		if w.answer(snap, c.sets, false) {
			delete(ns.sotw, w)
		}
	}
	for w := range ns.delta {
		if w.answer(snap, c.sets) {
			delete(ns.delta, w)
		}
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
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.snap, ns.snap != nil
}

// Retain forgets the snapshots of nodes that keep refuses and have no
// open stream, so pods that come and go do not accumulate. It ends a
// publish: sets older than the last two publishes are forgotten too.
func (c *groupCache) Retain(keep func(nodeID string) bool) {
	c.sets.rotate()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, ns := range c.nodes {
		if keep(id) {
			continue
		}
		ns.mu.Lock()
		idle := len(ns.sotw) == 0 && len(ns.delta) == 0
		ns.mu.Unlock()
		if idle {
			delete(c.nodes, id)
		}
	}
}

// CreateWatch opens a state-of-the-world watch; see sotwWatch.
func (c *groupCache) CreateWatch(req *cachev3.Request, sub cachev3.Subscription, out chan cachev3.Response) (func(), error) {
	id := req.GetNode().GetId()
	w := &sotwWatch{req: req, sub: sub, out: out, known: req.GetVersionInfo()}
	if req.GetErrorDetail() != nil {
		w.known = c.rejected(id, req)
	}
	ns := c.node(id)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.snap != nil && w.answer(ns.snap, c.sets, true) {
		return func() {}, nil
	}
	ns.sotw[w] = struct{}{}
	return func() {
		ns.mu.Lock()
		delete(ns.sotw, w)
		ns.mu.Unlock()
	}, nil
}

// rejected records a state-of-the-world NACK and returns the version the
// proxy rejected. A NACK carries the last version the proxy accepted; were
// that taken as what it holds, the rejected version would go straight back
// and be rejected again, in a tight loop. Holding the watch on the rejected
// version instead sends the next version when the configuration changes.
func (c *groupCache) rejected(id string, req *cachev3.Request) string {
	v := c.tracker.sentVersion(id, req.GetTypeUrl())
	if v == "" {
		if snap, ok := c.GetSnapshot(id); ok {
			v = snap.Version(req.GetTypeUrl())
		}
	}
	c.tracker.nack(id, req.GetTypeUrl(), v, req.GetErrorDetail().GetMessage())
	if v == "" {
		return req.GetVersionInfo()
	}
	return v
}

// CreateDeltaWatch opens a Delta watch; see deltaWatch. A Delta NACK needs
// no special care: the server records what it sent, so the diff against a
// NACKed response is empty until the configuration changes.
func (c *groupCache) CreateDeltaWatch(req *cachev3.DeltaRequest, sub cachev3.Subscription, out chan cachev3.DeltaResponse) (func(), error) {
	w := &deltaWatch{req: req, sub: sub, out: out}
	ns := c.node(req.GetNode().GetId())
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.snap != nil && w.answer(ns.snap, c.sets) {
		return func() {}, nil
	}
	ns.delta[w] = struct{}{}
	return func() {
		ns.mu.Lock()
		delete(ns.delta, w)
		ns.mu.Unlock()
	}, nil
}

// Fetch serves REST polling, which sailplane does not offer.
func (c *groupCache) Fetch(context.Context, *cachev3.Request) (cachev3.Response, error) {
	return nil, errors.New("sailplane serves xDS over gRPC streams only (ADS or per-type), not REST polling")
}
