package xdsserver

import (
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/sailplane/sailplane/internal/parallel"
	"github.com/sailplane/sailplane/internal/push"
	"github.com/sailplane/sailplane/internal/xds"
)

// generatorGRPC is the GENERATOR node metadata of proxyless gRPC clients.
const generatorGRPC = "grpc"

// Publisher is the one way configuration reaches the server: it is handed
// each reconcile's change and per-node resources and decides what every
// connected node is served. It keeps what must outlive a publish: the
// builder (protos a publish reuses are not marshalled again), the last
// per-node resources (a proxyless client asking for more names is answered
// from them) and the snapshots of the last full publish (a proxy that
// joins a group gets the group's very snapshot).
type Publisher struct {
	server  *Server
	secrets *SecretsView
	log     logr.Logger

	// mu is held by a publish throughout, and by a republish.
	mu      sync.Mutex
	builder *Builder
	last    map[string]*xds.Resources
	// shared is the snapshot made for each group's resources (after the
	// secrets view) since the last full publish.
	shared map[*xds.Resources]*Snapshot
}

// NewPublisher returns the publisher of s; secrets decides each node's
// secrets (nil: no workload certificates).
func NewPublisher(s *Server, secrets *SecretsView, log logr.Logger) *Publisher {
	if secrets == nil {
		secrets = NewSecretsView(nil)
	}
	return &Publisher{server: s, secrets: secrets, log: log, builder: NewBuilder(), shared: map[*xds.Resources]*Snapshot{}}
}

// Publish serves res, the resources of every node the change's reconcile
// configured. A change of proxies joining (push.Change.JoinOnly) is
// published to those proxies alone: every other node keeps its snapshot.
// Any other change is a full publish: every connected node of res is
// handed its snapshot, the snapshots of nodes gone are let go, and the
// certificates of identities nobody holds are forgotten. changed is when
// the reconcile began, for pilot_proxy_convergence_time.
func (p *Publisher) Publish(ch push.Change, res map[string]*xds.Resources, changed time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = res
	if ch.JoinOnly() {
		return p.publishJoined(ch.NodeIDs(), changed)
	}
	return p.publishAll(changed)
}

// publishAll hands every connected node of p.last its snapshot: one per
// group and identity for Envoy proxies, filtered to what it asked for for
// a proxyless gRPC node.
func (p *Publisher) publishAll(changed time.Time) error {
	p.builder.Next()
	p.secrets.Reset()
	p.shared = map[*xds.Resources]*Snapshot{}
	nodes := make([]string, 0, len(p.last))
	snaps := make([]*Snapshot, 0, len(p.last))
	keep := make(map[string]bool, len(p.last))
	for node, rs := range p.last {
		// A node gone since the reconcile began has no identity to look up:
		// building it the variant for "proved none" (a copy of the group
		// without secrets) would cost memory and leave that variant in the
		// cache for its return.
		if !p.server.Tracker().Connected(node) {
			continue
		}
		snap, err := p.snapshotFor(node, rs, p.shared)
		if err != nil {
			return err
		}
		nodes, snaps = append(nodes, node), append(snaps, snap)
		keep[node] = true
	}
	published := time.Now()
	for _, snap := range snaps {
		snap.Stamp(changed, published)
	}
	// Handing a node its snapshot answers its open watches (comparing what
	// it holds with what changed): independent work per node, on every core.
	parallel.Each(len(nodes), func(i int) { p.server.SetSnapshot(nodes[i], snaps[i]) })
	p.server.Retain(keep)
	p.builder.Settle()
	p.secrets.Published()
	p.logFailed()
	return nil
}

// publishJoined hands the joined nodes their snapshots, sharing those of
// the last full publish: the builder's generation, the secrets view's memo
// and the snapshots per group carry on, so a node joining a group already
// served costs a map lookup. Only snapshots made here are stamped: one a
// node already holds keeps its push-time record.
func (p *Publisher) publishJoined(joined []string, changed time.Time) error {
	var nodes []string
	var snaps []*Snapshot
	fresh := map[*Snapshot]bool{}
	failedBefore := p.secrets.Failed() != nil
	for _, node := range joined {
		rs, ok := p.last[node]
		if !ok || !p.server.Tracker().Connected(node) {
			continue // waiting for its pod, or gone already
		}
		before := len(p.shared)
		snap, err := p.snapshotFor(node, rs, p.shared)
		if err != nil {
			return err
		}
		if len(p.shared) > before || p.filtered(node) {
			fresh[snap] = true
		}
		nodes, snaps = append(nodes, node), append(snaps, snap)
	}
	published := time.Now()
	for snap := range fresh {
		snap.Stamp(changed, published)
	}
	parallel.Each(len(nodes), func(i int) { p.server.SetSnapshot(nodes[i], snaps[i]) })
	if !failedBefore {
		p.logFailed() // a failure of the full publish was logged by it
	}
	return nil
}

// Republish answers a proxyless client's new subscription from the last
// publish; a node the last publish did not cover waits for the next.
//
// It is called from the streams' request callbacks, for every proxy that
// changes what it asks for (Envoy does, on every cluster change), so it
// decides before taking the lock: a publish holds the lock throughout, and
// a stream waiting for it sends nothing meanwhile.
func (p *Publisher) Republish(node string) {
	if !p.filtered(node) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	rs, ok := p.last[node]
	if !ok {
		return
	}
	snap, err := p.snapshotFor(node, rs, nil)
	if err != nil {
		p.log.Error(err, "publishing a proxyless client's subscription", "node", node)
		return
	}
	p.server.SetSnapshot(node, snap)
}

// snapshotFor converts a node's resources: once per group and identity
// for Envoy proxies (shared records the snapshot), filtered to what it
// asked for for a proxyless gRPC node. The secrets come from what the node
// proved, not from its group (see SecretsView).
func (p *Publisher) snapshotFor(node string, rs *xds.Resources, shared map[*xds.Resources]*Snapshot) (*Snapshot, error) {
	who := p.server.Tracker().Identity(node)
	if p.filtered(node) {
		// A proxyless gRPC node reads its key pair from files (its
		// bootstrap's certificate providers) and never asks for SDS: no
		// key is made for it.
		return p.builder.Snapshot(FilterSubscribed(p.secrets.For(rs, nil), p.server.Tracker().Subscriptions(node)))
	}
	rs = p.secrets.For(rs, who)
	if snap, ok := shared[rs]; ok {
		return snap, nil
	}
	snap, err := p.builder.Snapshot(rs)
	if err != nil {
		return nil, err
	}
	if shared != nil {
		shared[rs] = snap
	}
	return snap, nil
}

// filtered reports whether the node asks for resources by name for every
// type (proxyless gRPC) rather than by wildcard (Envoy).
func (p *Publisher) filtered(node string) bool {
	return p.server.Tracker().Generator(node) == generatorGRPC
}

func (p *Publisher) logFailed() {
	if err := p.secrets.Failed(); err != nil {
		p.log.Error(err, "workload certificates could not be issued; those proxies are served without them")
	}
}
