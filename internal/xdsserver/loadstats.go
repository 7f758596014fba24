package xdsserver

import (
	"errors"
	"io"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	loadstatsv3 "github.com/envoyproxy/go-control-plane/envoy/service/load_stats/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/names"
)

// DefaultLoadReportInterval is how often a client is asked to send its
// load (LRS): often enough for a graph that rates over a minute.
const DefaultLoadReportInterval = 10 * time.Second

// Reporter is who sent a load report: the node its stream named (checked
// like an ADS stream's) and, on the authenticated port, the identity the
// caller proved (nil on the plaintext port, where the node id is only a
// claim).
type Reporter struct {
	Node     *corev3.Node
	Identity *identity.Identity
}

// LoadSink receives every load report with its reporter.
type LoadSink func(Reporter, []*endpointv3.ClusterStats)

// OnLoadReport registers the function load reports go to; without one,
// reports are read and dropped.
func (s *Server) OnLoadReport(f LoadSink) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.loadSink = f
}

func (s *Server) sink() LoadSink {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	return s.loadSink
}

// loadReporting is the LoadReportingService of one port. Clusters whose
// lrs_server is `self` make grpc-go (and Envoy) open it on the connection
// that carries ADS, so it shares that port's authentication.
type loadReporting struct {
	loadstatsv3.UnimplementedLoadReportingServiceServer
	s       *Server
	channel channel
}

// StreamLoadStats reads the first request's node, checks it may report as
// that node, asks for every cluster's load at the server's interval, and
// hands each report to the sink.
func (l *loadReporting) StreamLoadStats(stream loadstatsv3.LoadReportingService_StreamLoadStatsServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	rep, err := l.reporter(stream, first.GetNode())
	if err != nil {
		return err
	}
	interval := l.s.opts.LoadReportInterval
	if interval <= 0 {
		interval = DefaultLoadReportInterval
	}
	if err := stream.Send(&loadstatsv3.LoadStatsResponse{SendAllClusters: true, LoadReportingInterval: durationpb.New(interval)}); err != nil {
		return err
	}
	l.deliver(rep, first.GetClusterStats())
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		l.deliver(rep, req.GetClusterStats())
	}
}

func (l *loadReporting) deliver(rep Reporter, stats []*endpointv3.ClusterStats) {
	if len(stats) == 0 {
		return
	}
	if sink := l.s.sink(); sink != nil {
		sink(rep, stats)
	}
}

// reporter decides whether the stream may report as node: a node id of
// Istio's shape; on the authenticated port one that belongs to the
// verified caller (the ADS rule); on the plaintext port one with an open
// ADS stream there, so reports come only from proxies being served.
func (l *loadReporting) reporter(stream loadstatsv3.LoadReportingService_StreamLoadStatsServer, node *corev3.Node) (Reporter, error) {
	if _, err := names.ParseNodeID(node.GetId()); err != nil {
		return Reporter{}, status.Errorf(codes.InvalidArgument, "sailplane: load report: %v", err)
	}
	rep := Reporter{Node: node}
	who, verified := identity.FromContext(stream.Context())
	if l.channel == authenticated {
		if !verified {
			return Reporter{}, status.Error(codes.Unauthenticated, "sailplane: load report stream carries no verified identity")
		}
		if err := authorizeNode(who, node.GetId(), l.s.pods()); err != nil {
			l.s.refused(who, node.GetId(), err)
			return Reporter{}, err
		}
		rep.Identity = &who
		return rep, nil
	}
	if ch, ok := l.s.tracker.channelOf(node.GetId()); !ok || ch != plaintext {
		return Reporter{}, status.Errorf(codes.FailedPrecondition, "sailplane: load report for node %q, which has no ADS stream on this port", node.GetId())
	}
	return rep, nil
}
