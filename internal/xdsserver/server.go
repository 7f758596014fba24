// Package xdsserver serves the translated configuration over ADS and the
// per-type xDS services (state of the world and Delta) with a server of
// its own: resources marshalled once, sets shared by groups, per-stream
// state that is references to those sets, responses encoded once per
// distinct content and shared by the streams that get it, pushes of what
// changed. It keeps track of every connected proxy: what it accepted,
// what it rejected.
package xdsserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	loadstatsv3 "github.com/envoyproxy/go-control-plane/envoy/service/load_stats/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/keepalive"

	"github.com/sailplane/sailplane/internal/bufpool"
	"github.com/sailplane/sailplane/internal/metrics"
)

// Options tune the gRPC server.
type Options struct {
	// MaxConnectionAge makes proxies reconnect now and then, so they spread
	// over replicas after a scale-up or a rolling restart.
	MaxConnectionAge time.Duration
	// Keepalive is how often an idle connection is probed.
	Keepalive time.Duration
	// Registerer receives the server's metrics; nil registers none.
	Registerer prometheus.Registerer
	// LoadReportInterval is how often clients send load reports (LRS);
	// 0 is DefaultLoadReportInterval.
	LoadReportInterval time.Duration
	// PushBudget bounds the bytes of large responses encoded and waiting
	// for the wire at once (see budget.go); 0 leaves them unbounded.
	PushBudget int64
}

// DefaultOptions are the settings sailplane runs with.
func DefaultOptions() Options {
	return Options{MaxConnectionAge: 30 * time.Minute, Keepalive: 30 * time.Second, PushBudget: DefaultPushBudget}
}

// Server is the ADS server. It serves two ports with one tracker: the
// plaintext port (no caller is authenticated, so it never serves secrets)
// and the authenticated port (TLS; every stream carries the identity its
// caller proved). Each port has a cache of its own: a snapshot made for an
// authenticated proxy, which may hold its private key, lives only where
// authenticated streams read, so no plaintext stream can ever be answered
// from it, whatever node id it claims.
type Server struct {
	ports   [numChannels]*port
	tracker *Tracker
	opts    Options
	budget  *pushBudget
	log     logr.Logger

	podsMu     sync.Mutex
	podLookup  PodLookup
	refusals   prometheus.Counter
	refusedLog refusedLog
	metrics    *pilotMetrics

	loadMu   sync.Mutex
	loadSink LoadSink
}

// New builds a server. Snapshots are keyed by node id; proxies of one group
// are given the same snapshot object, so the config is computed once per
// group and shared in memory.
func New(ctx context.Context, log logr.Logger, opts Options) *Server {
	s := &Server{log: log, tracker: newTracker(opts.Registerer), opts: opts, budget: newPushBudget(opts.PushBudget, pushWait)}
	s.metrics = s.tracker.metrics
	s.refusals = metrics.Register(opts.Registerer, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sailplane_xds_node_refusals_total",
		Help: "Authenticated xDS streams refused because the node id they claimed is not the caller's (another namespace, pod or service account).",
	}))
	for ch := range s.ports {
		s.ports[ch] = &port{ctx: ctx, cache: newGroupCache(s.tracker, s.budget), cb: &callbacks{s: s, channel: channel(ch)}}
		go s.ports[ch].cache.sweep(ctx)
	}
	return s
}

// writeBufferSize is how much gRPC gathers before it writes to a
// connection.
const writeBufferSize = 128 << 10

// grpcServer builds a gRPC server for one port with the xDS services
// registered; opts add the port's own (credentials, interceptors).
func (s *Server) grpcServer(ch channel, opts ...grpc.ServerOption) *grpc.Server {
	opts = append([]grpc.ServerOption{
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:                  s.opts.Keepalive,
			MaxConnectionAge:      s.opts.MaxConnectionAge,
			MaxConnectionAgeGrace: time.Minute,
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.MaxConcurrentStreams(1 << 20),
		grpc.ForceServerCodecV2(newWireCodec(s.budget)),
		// Larger flushes (see batchedTLS), from a pool: a connection holds
		// its write buffer only while it writes, so 2000 proxies' idle
		// connections hold none.
		grpc.WriteBufferSize(writeBufferSize),
		grpc.SharedWriteBuffer(true),
		// Frames are read into buffers that are not cleared first.
		experimental.BufferPool(bufpool.Dirty),
	}, opts...)
	g := grpc.NewServer(opts...)
	s.ports[ch].register(g)
	loadstatsv3.RegisterLoadReportingServiceServer(g, &loadReporting{s: s, channel: ch})
	return g
}

// cacheOf is the cache of the port the node is connected on; nil when the
// node has no open stream.
func (s *Server) cacheOf(nodeID string) *groupCache {
	ch, ok := s.tracker.channelOf(nodeID)
	if !ok {
		return nil
	}
	return s.ports[ch].cache
}

// Tracker returns the connected-proxy tracker.
func (s *Server) Tracker() *Tracker { return s.tracker }

// OnNewProxy registers a function called when a proxy not seen before opens
// its first stream; the mesh reconciler uses it to compute that proxy's
// config.
func (s *Server) OnNewProxy(f func(nodeID string)) {
	s.tracker.mu.Lock()
	defer s.tracker.mu.Unlock()
	s.tracker.onNew = func(n *corev3.Node) { f(n.GetId()) }
}

// OnSubscribe registers a function called when a connected proxy changes
// the names it asks for. It runs before the request is answered, so a
// snapshot set from it answers the request.
func (s *Server) OnSubscribe(f func(nodeID string)) {
	s.tracker.mu.Lock()
	defer s.tracker.mu.Unlock()
	s.tracker.onSubscribe = f
}

// OnNack registers a function called for every rejected version.
func (s *Server) OnNack(f func(nodeID, typeURL, version, reason string)) {
	s.tracker.mu.Lock()
	defer s.tracker.mu.Unlock()
	s.tracker.onNack = f
}

// SetSnapshot publishes a node's snapshot on the port the node is
// connected on (a node that has gone meanwhile is skipped). Proxies of one
// group are given the same snapshot; a type whose set did not change costs
// no push.
func (s *Server) SetSnapshot(nodeID string, snap *Snapshot) {
	if c := s.cacheOf(nodeID); c != nil {
		c.SetSnapshot(nodeID, snap)
	}
}

// Snapshot returns the node's current snapshot.
func (s *Server) Snapshot(nodeID string) (*Snapshot, bool) {
	if c := s.cacheOf(nodeID); c != nil {
		return c.GetSnapshot(nodeID)
	}
	return nil, false
}

// Retain forgets the snapshots of nodes outside keep that have no open
// stream (pods that are gone), and on each port those of nodes now
// connected on the other.
func (s *Server) Retain(keep map[string]bool) {
	for ch, p := range s.ports {
		p.cache.Retain(func(id string) bool {
			on, ok := s.tracker.channelOf(id)
			return keep[id] && (!ok || on == channel(ch))
		})
	}
}

// Serve runs the plaintext port on lis until ctx ends. Nobody is
// authenticated there, so it never serves secrets (see callbacks).
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	s.log.Info("serving plaintext xDS (ADS, state of the world and Delta; no secrets)", "address", lis.Addr().String())
	return serveUntil(ctx, s.grpcServer(plaintext), lis)
}

// serveUntil runs g on lis until ctx ends.
func serveUntil(ctx context.Context, g *grpc.Server, lis net.Listener) error {
	go func() {
		<-ctx.Done()
		g.GracefulStop()
	}()
	if err := g.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("xDS server: %w", err)
	}
	return nil
}
