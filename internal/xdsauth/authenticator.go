package xdsauth

import (
	"context"
	"crypto/x509"
	"net"
	"strings"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
)

// AuthorizationMetadata is the gRPC metadata key carrying "Bearer <token>"
// (Istio's proxies send their service-account token there).
const AuthorizationMetadata = "authorization"

// AuthenticatorOptions configure an Authenticator.
type AuthenticatorOptions struct {
	// TrustDomain a client certificate's SPIFFE id must be in
	// (defaults.TrustDomain).
	TrustDomain string
	// Registerer, when set, gets sailplane_xds_auth_refusals_total.
	Registerer prometheus.Registerer
	// Log receives one line per refused (subject, reason).
	Log logr.Logger
}

// Authenticator verifies callers of the authenticated xDS port (15012). It
// implements identity.Authenticator.
//
// It trusts a client certificate only through the TLS handshake: the
// server's tls.Config must set ClientAuth to tls.VerifyClientCertIfGiven
// and ClientCAs to the mesh roots, so a certificate that reaches here in
// VerifiedChains was issued by the mesh CA; a proxy with no certificate yet
// (its first connection) presents its service-account token instead.
type Authenticator struct {
	reviewer    *TokenReviewer
	trustDomain string
	refusals    *refusals
}

var _ identity.Authenticator = (*Authenticator)(nil)

// NewAuthenticator returns an authenticator that reviews bearer tokens
// with reviewer (whose audience should be defaults.TokenAudience).
func NewAuthenticator(reviewer *TokenReviewer, opts AuthenticatorOptions) *Authenticator {
	if opts.TrustDomain == "" {
		opts.TrustDomain = defaults.TrustDomain
	}
	return &Authenticator{reviewer: reviewer, trustDomain: opts.TrustDomain, refusals: newRefusals(opts.Registerer, opts.Log)}
}

// Authenticate returns the caller's identity: from a verified client
// certificate, else from a bearer token. Errors are gRPC Unauthenticated
// (or Unavailable when the API server cannot review a token) saying why.
func (a *Authenticator) Authenticate(ctx context.Context) (identity.Identity, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return identity.Identity{}, a.refusals.refuse(ReasonNoTLS, "unknown peer",
			status.Error(codes.Unauthenticated, "no peer information on the call; this port needs TLS"))
	}
	addr := peerHost(p)
	tlsInfo, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return identity.Identity{}, a.refusals.refuse(ReasonNoTLS, addr,
			status.Error(codes.Unauthenticated, "connection is not TLS; this port needs TLS (the plaintext xDS port is 15010)"))
	}
	if chains := tlsInfo.State.VerifiedChains; len(chains) > 0 && len(chains[0]) > 0 {
		return a.fromCertificate(chains[0][0])
	}
	token, present, err := bearerToken(ctx)
	if err != nil {
		return identity.Identity{}, a.refusals.refuse(ReasonBadAuthorization, addr, err)
	}
	if !present {
		if len(tlsInfo.State.PeerCertificates) > 0 {
			return identity.Identity{}, a.refusals.refuse(ReasonCertNotVerified, addr, status.Error(codes.Unauthenticated,
				"client certificate was not verified against the mesh roots by the TLS server, and no bearer token was sent"))
		}
		return identity.Identity{}, a.refusals.refuse(ReasonNoCredentials, addr, status.Errorf(codes.Unauthenticated,
			"no credentials: present a client certificate issued by the mesh CA, or a service-account token for audience %q as %q metadata \"Bearer <token>\"",
			a.reviewer.Audience(), AuthorizationMetadata))
	}
	user, err := a.reviewer.Review(ctx, token)
	if err != nil {
		reason := ReasonTokenRefused
		if status.Code(err) == codes.Unavailable {
			reason = ReasonReviewUnavailable
		}
		return identity.Identity{}, a.refusals.refuse(reason, tokenHash(token), err)
	}
	id, err := a.reviewer.identityOf(user)
	if err != nil {
		return identity.Identity{}, a.refusals.refuse(ReasonTokenNotWorkload, tokenHash(token), err)
	}
	return id, nil
}

// fromCertificate reads the SPIFFE id of a verified leaf certificate.
func (a *Authenticator) fromCertificate(leaf *x509.Certificate) (identity.Identity, error) {
	subject := "certificate " + leaf.Subject.String()
	var spiffe []string
	for _, u := range leaf.URIs {
		if u.Scheme == "spiffe" {
			spiffe = append(spiffe, u.String())
		}
	}
	if len(spiffe) != 1 {
		return identity.Identity{}, a.refusals.refuse(ReasonCertNoSPIFFE, subject, status.Errorf(codes.Unauthenticated,
			"client certificate %q carries %d SPIFFE URI SANs, want exactly one", leaf.Subject.String(), len(spiffe)))
	}
	id, err := identity.ParseSPIFFE(spiffe[0])
	if err != nil {
		return identity.Identity{}, a.refusals.refuse(ReasonCertNoSPIFFE, spiffe[0], status.Errorf(codes.Unauthenticated, "client certificate: %v", err))
	}
	if id.TrustDomain != a.trustDomain {
		return identity.Identity{}, a.refusals.refuse(ReasonCertTrustDomain, spiffe[0], status.Errorf(codes.Unauthenticated,
			"client certificate %s is of trust domain %q, this mesh is %q", spiffe[0], id.TrustDomain, a.trustDomain))
	}
	return id, nil
}

// bearerToken reads "authorization: Bearer <token>" from the call's
// metadata; present is false when there is no such metadata at all.
func bearerToken(ctx context.Context) (token string, present bool, err error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get(AuthorizationMetadata)
	if len(vals) == 0 {
		return "", false, nil
	}
	if len(vals) > 1 {
		return "", true, status.Errorf(codes.Unauthenticated, "%d %q metadata values, want one", len(vals), AuthorizationMetadata)
	}
	t, ok := parseBearer(vals[0])
	if !ok {
		return "", true, status.Errorf(codes.Unauthenticated, "%q metadata is not \"Bearer <token>\"", AuthorizationMetadata)
	}
	return t, true, nil
}

// parseBearer reads "Bearer <token>"; the scheme is case-insensitive
// (RFC 7235).
func parseBearer(v string) (string, bool) {
	scheme, t, ok := strings.Cut(v, " ")
	t = strings.TrimSpace(t)
	if !ok || !strings.EqualFold(scheme, "Bearer") || t == "" || strings.ContainsAny(t, " \t") {
		return "", false
	}
	return t, true
}

func peerHost(p *peer.Peer) string {
	if p.Addr == nil {
		return "unknown peer"
	}
	if h, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
		return h
	}
	return p.Addr.String()
}
