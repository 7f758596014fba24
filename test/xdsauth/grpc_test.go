package xdsauth

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-logr/logr/funcr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/xdsauth"
)

// identityHeader carries the authenticated identity back to the test.
const identityHeader = "x-authenticated-as"

// authServer is a real gRPC server on loopback whose every call is first
// authenticated (the health service stands in for ADS).
type authServer struct {
	addr    string
	auth    *xdsauth.Authenticator
	reviews *xdsauth.TokenReviewer
	reg     *prometheus.Registry
	logged  *atomic.Int64
}

// startServer serves with creds; tlsCfg nil means plaintext.
func startServer(t *testing.T, tlsCfg *tls.Config) *authServer {
	t.Helper()
	s := &authServer{reg: prometheus.NewRegistry(), logged: &atomic.Int64{}}
	s.reviews = xdsReviewer(xdsauth.TokenReviewerOptions{Registerer: s.reg})
	log := funcr.New(func(_, _ string) { s.logged.Add(1) }, funcr.Options{})
	s.auth = xdsauth.NewAuthenticator(s.reviews, xdsauth.AuthenticatorOptions{Registerer: s.reg, Log: log})
	creds := insecure.NewCredentials()
	if tlsCfg != nil {
		creds = credentials.NewTLS(tlsCfg)
	}
	srv := grpc.NewServer(grpc.Creds(creds), grpc.UnaryInterceptor(
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
			id, err := s.auth.Authenticate(ctx)
			if err != nil {
				return nil, err
			}
			_ = grpc.SetHeader(ctx, metadata.Pairs(identityHeader, id.String()))
			return next(ctx, req)
		}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	s.addr = l.Addr().String()
	return s
}

// meshServerTLS is the configuration the xDS port uses: client
// certificates verified against the mesh roots when given.
func meshServerTLS(t *testing.T, ca *testCA, clientAuth tls.ClientAuthType) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{ca.issue(t, "sailplane", true)},
		ClientAuth:   clientAuth, ClientCAs: ca.pool, MinVersion: tls.VersionTLS12,
	}
}

// call makes one RPC and returns the identity the server authenticated.
func (s *authServer) call(t *testing.T, creds credentials.TransportCredentials, token string) (string, error) {
	t.Helper()
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return callOn(conn, token)
}

func callOn(conn *grpc.ClientConn, token string) (string, error) {
	ctx := context.Background()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, xdsauth.AuthorizationMetadata, "Bearer "+token)
	}
	var hdr metadata.MD
	_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&hdr))
	return strings.Join(hdr.Get(identityHeader), ","), err
}

func clientTLS(ca *testCA, certs ...tls.Certificate) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{RootCAs: ca.pool, Certificates: certs, MinVersion: tls.VersionTLS12})
}

// refusals reads sailplane_xds_auth_refusals_total{reason}.
func (s *authServer) refusals(t *testing.T, reason string) float64 {
	return s.counter(t, "sailplane_xds_auth_refusals_total", "reason", reason)
}

// counter reads one series of a counter on the server's registry.
func (s *authServer) counter(t *testing.T, name, label, value string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func wantRefused(t *testing.T, what string, err error, code codes.Code, msg string) {
	t.Helper()
	if status.Code(err) != code || !strings.Contains(status.Convert(err).Message(), msg) {
		t.Errorf("%s: %v, want %v saying %q", what, err, code, msg)
	}
}

func TestAuthenticatorOverTLS(t *testing.T) {
	ca := newTestCA(t, "mesh root")
	s := startServer(t, meshServerTLS(t, ca, tls.VerifyClientCertIfGiven))
	pod := podOf(t, nsA, "productpage", "productpage-0")

	got, err := s.call(t, clientTLS(ca), boundToken(t, pod, defaults.TokenAudience))
	if want := "spiffe://cluster.local/ns/mesh-a/sa/productpage (pod mesh-a/productpage-0)"; err != nil || got != want {
		t.Errorf("token over TLS: %q, %v; want %q", got, err, want)
	}

	spiffe := "spiffe://cluster.local/ns/mesh-a/sa/reviews"
	got, err = s.call(t, clientTLS(ca, ca.issue(t, "reviews", false, spiffe)), "")
	if err != nil || got != spiffe {
		t.Errorf("SPIFFE client certificate: %q, %v; want %q", got, err, spiffe)
	}

	_, err = s.call(t, clientTLS(ca, ca.issue(t, "foreign", false, "spiffe://other.example/ns/mesh-a/sa/reviews")), "")
	wantRefused(t, "certificate of another trust domain", err, codes.Unauthenticated, `is of trust domain "other.example", this mesh is "cluster.local"`)

	_, err = s.call(t, clientTLS(ca, ca.issue(t, "plain-cert", false)), "")
	wantRefused(t, "certificate without a SPIFFE id", err, codes.Unauthenticated, "carries 0 SPIFFE URI SANs")

	for range 3 {
		_, err = s.call(t, clientTLS(ca), "")
		wantRefused(t, "no credentials", err, codes.Unauthenticated, "no credentials: present a client certificate issued by the mesh CA, or a service-account token")
	}
	if n := s.refusals(t, xdsauth.ReasonNoCredentials); n != 3 {
		t.Errorf("refusals{reason=no_credentials} = %v, want 3", n)
	}

	_, err = s.call(t, clientTLS(ca), "garbage-token")
	wantRefused(t, "garbage token", err, codes.Unauthenticated, "token refused by the API server")

	// Logged once per (subject, reason): four distinct refusals of
	// certificates and tokens, one line for the three no-credential calls.
	if n := s.logged.Load(); n != 4 {
		t.Errorf("%d refusal log lines, want 4 (one per subject and reason)", n)
	}

	// A certificate of another CA does not get through the handshake.
	other := newTestCA(t, "someone else's root")
	_, err = s.call(t, clientTLS(ca, other.issue(t, "rogue", false, spiffe)), "")
	if status.Code(err) != codes.Unauthenticated && status.Code(err) != codes.Unavailable {
		t.Errorf("certificate of another CA: %v, want refused", err)
	}
}

// A TLS server that requests certificates without verifying them must not
// make an unverified certificate an identity.
func TestUnverifiedCertificateIsNotAnIdentity(t *testing.T) {
	ca := newTestCA(t, "mesh root")
	cfg := meshServerTLS(t, ca, tls.RequestClientCert)
	cfg.ClientCAs = nil // else the client offers only certificates of those CAs
	s := startServer(t, cfg)
	rogue := newTestCA(t, "rogue root")
	_, err := s.call(t, clientTLS(ca, rogue.issue(t, "rogue", false, "spiffe://cluster.local/ns/mesh-a/sa/reviews")), "")
	wantRefused(t, "unverified certificate", err, codes.Unauthenticated, "not verified against the mesh roots")
}

func TestPlaintextIsRefused(t *testing.T) {
	s := startServer(t, nil)
	_, err := s.call(t, insecure.NewCredentials(), "")
	wantRefused(t, "plaintext call", err, codes.Unauthenticated, "connection is not TLS; this port needs TLS")
}

// A reconnect storm: 50 concurrent calls with one new token cost one review.
func TestConcurrentCallsShareOneReview(t *testing.T) {
	ca := newTestCA(t, "mesh root")
	s := startServer(t, meshServerTLS(t, ca, tls.VerifyClientCertIfGiven))
	token := boundToken(t, podOf(t, nsA, "storm", "storm-0"), defaults.TokenAudience)
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(clientTLS(ca)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			if _, err := callOn(conn, token); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.reviews.Reviews(); n != 1 {
		t.Fatalf("50 concurrent calls with one token made %d reviews, want 1", n)
	}
	if n := s.counter(t, "sailplane_xds_token_reviews_total", "result", "authenticated"); n != 1 {
		t.Fatalf("sailplane_xds_token_reviews_total{result=authenticated} = %v, want 1", n)
	}
}
