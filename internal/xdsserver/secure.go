package xdsserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
)

// Secure configures the authenticated port.
type Secure struct {
	// TLS is the server's TLS configuration: its serving certificate, and
	// the mesh roots that client certificates are verified against
	// (tls.VerifyClientCertIfGiven: a caller may authenticate with a
	// token instead).
	TLS *tls.Config
	// Auth verifies every call's caller.
	Auth identity.Authenticator
	// Register adds more services to the port (Istio's CSR API).
	Register []func(*grpc.Server)
}

// ServeSecure runs the authenticated port on lis until ctx ends: gRPC over
// TLS, each stream and call authenticated before it reaches a service. A
// caller that speaks plaintext to it is answered, in plaintext gRPC, that
// the port needs TLS, rather than left with a failed handshake.
func (s *Server) ServeSecure(ctx context.Context, lis net.Listener, sec Secure) error {
	g := s.grpcServer(authenticated,
		grpc.Creds(newBatchedTLS(credentials.NewTLS(sec.TLS))),
		// No read buffer of gRPC's own: TLS already holds a decrypted
		// record, and gRPC's 32 KiB per connection was a fifth of what 2000
		// idle connections held.
		grpc.ReadBufferSize(0),
		grpc.StreamInterceptor(authStream(sec.Auth)),
		grpc.UnaryInterceptor(authUnary(sec.Auth)),
	)
	for _, r := range sec.Register {
		r(g)
	}
	tlsConns, plainConns := splitTLS(ctx, lis)
	go func() { _ = serveUntil(ctx, plaintextRefuser(), plainConns) }()
	s.log.Info("serving authenticated xDS (TLS; service-account tokens or mesh certificates)", "address", lis.Addr().String())
	return serveUntil(ctx, g, tlsConns)
}

func authStream(auth identity.Authenticator) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		who, err := auth.Authenticate(ss.Context())
		if err != nil {
			return err
		}
		return handler(srv, &identifiedStream{ServerStream: ss, ctx: identity.NewContext(ss.Context(), who)})
	}
}

func authUnary(auth identity.Authenticator) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		who, err := auth.Authenticate(ctx)
		if err != nil {
			return nil, err
		}
		return handler(identity.NewContext(ctx, who), req)
	}
}

// identifiedStream carries the verified identity to the xDS server's
// callbacks, which see the stream's context.
type identifiedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *identifiedStream) Context() context.Context { return s.ctx }

// errNeedsTLS answers every call of a plaintext client on the
// authenticated port.
var errNeedsTLS = status.Error(codes.Unauthenticated, fmt.Sprintf(
	"sailplane: port %d is the authenticated xDS port and needs TLS (validate it against the mesh root, ConfigMap %s) with a service-account token (audience %s) or a mesh certificate; plaintext xDS without secrets is port %d where it is enabled",
	defaults.XDSTLSPort, defaults.RootCertConfigMap, defaults.TokenAudience, defaults.XDSPlaintextPort))

// plaintextRefuser is a plaintext gRPC server that refuses every call.
func plaintextRefuser() *grpc.Server {
	return grpc.NewServer(grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error { return errNeedsTLS }))
}

// SetPodLookup gives the callbacks the informers' view of pods, to check
// that a verified caller claims a pod that runs as its identity.
func (s *Server) SetPodLookup(f PodLookup) {
	s.podsMu.Lock()
	defer s.podsMu.Unlock()
	s.podLookup = f
}

func (s *Server) pods() PodLookup {
	s.podsMu.Lock()
	defer s.podsMu.Unlock()
	return s.podLookup
}

// refusedLog remembers which refusals were logged, so a proxy retrying
// in a loop is logged once, not per attempt. It is bounded: past its size
// it starts over, which at worst logs a refusal again.
type refusedLog struct {
	mu   sync.Mutex
	seen map[string]bool
}

const refusedLogSize = 4096

func (l *refusedLog) first(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil || len(l.seen) >= refusedLogSize {
		l.seen = map[string]bool{}
	}
	if l.seen[key] {
		return false
	}
	l.seen[key] = true
	return true
}

// refused counts and logs (once per identity and node) a verified caller
// turned away for the node id it claimed.
func (s *Server) refused(who identity.Identity, nodeID string, err error) {
	s.refusals.Inc()
	if s.refusedLog.first(who.String() + "|" + nodeID) {
		s.log.Info("refusing xDS stream: node id does not belong to the caller", "identity", who.String(), "node", nodeID, "reason", status.Convert(err).Message())
	}
}
