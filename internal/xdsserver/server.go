// Package xdsserver serves the translated configuration over ADS (state of
// the world and Delta) with go-control-plane's server in front of a cache
// of sailplane's own (resources marshalled once, sets shared by groups,
// pushes of what changed), and keeps track of every connected proxy: what
// it accepted, what it rejected.
package xdsserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	clusterservice "github.com/envoyproxy/go-control-plane/envoy/service/cluster/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	endpointservice "github.com/envoyproxy/go-control-plane/envoy/service/endpoint/v3"
	listenerservice "github.com/envoyproxy/go-control-plane/envoy/service/listener/v3"
	routeservice "github.com/envoyproxy/go-control-plane/envoy/service/route/v3"
	secretservice "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
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
	// PushBudget bounds the bytes of large responses encoded and waiting
	// for the wire at once (see budget.go); 0 leaves them unbounded.
	PushBudget int64
}

// DefaultOptions are the settings sailplane runs with.
func DefaultOptions() Options {
	return Options{MaxConnectionAge: 30 * time.Minute, Keepalive: 30 * time.Second, PushBudget: DefaultPushBudget}
}

// Server is the ADS server.
type Server struct {
	cache   *groupCache
	tracker *Tracker
	grpc    *grpc.Server
	xds     serverv3.Server
	log     logr.Logger
}

// New builds a server. Snapshots are keyed by node id; proxies of one group
// are given the same snapshot object, so the config is computed once per
// group and shared in memory.
func New(ctx context.Context, log logr.Logger, opts Options) *Server {
	s := &Server{log: log, tracker: newTracker(opts.Registerer)}
	s.cache = newGroupCache(s.tracker)
	s.xds = serverv3.NewServer(ctx, s.cache, &callbacks{s: s})
	s.grpc = grpc.NewServer(
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:                  opts.Keepalive,
			MaxConnectionAge:      opts.MaxConnectionAge,
			MaxConnectionAgeGrace: time.Minute,
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.MaxConcurrentStreams(1<<20),
		grpc.ForceServerCodecV2(newWireCodec(newPushBudget(opts.PushBudget, pushWait))),
	)
	discoveryv3.RegisterAggregatedDiscoveryServiceServer(s.grpc, s.xds)
	listenerservice.RegisterListenerDiscoveryServiceServer(s.grpc, s.xds)
	routeservice.RegisterRouteDiscoveryServiceServer(s.grpc, s.xds)
	clusterservice.RegisterClusterDiscoveryServiceServer(s.grpc, s.xds)
	endpointservice.RegisterEndpointDiscoveryServiceServer(s.grpc, s.xds)
	secretservice.RegisterSecretDiscoveryServiceServer(s.grpc, s.xds)
	return s
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

// SetSnapshot publishes a node's snapshot. Proxies of one group are given
// the same snapshot; a type whose set did not change costs no push.
func (s *Server) SetSnapshot(nodeID string, snap *Snapshot) { s.cache.SetSnapshot(nodeID, snap) }

// Snapshot returns the node's current snapshot.
func (s *Server) Snapshot(nodeID string) (*Snapshot, bool) { return s.cache.GetSnapshot(nodeID) }

// Retain forgets the snapshots of nodes outside keep that have no open
// stream (pods that are gone).
func (s *Server) Retain(keep map[string]bool) { s.cache.Retain(keep) }

// Serve runs the gRPC server on lis until ctx ends.
func (s *Server) Serve(ctx context.Context, lis net.Listener) error {
	go func() {
		<-ctx.Done()
		s.grpc.GracefulStop()
	}()
	s.log.Info("serving xDS (ADS, state of the world and Delta)", "address", lis.Addr().String())
	if err := s.grpc.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("xDS server: %w", err)
	}
	return nil
}
