package ca

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	pb "istio.io/api/security/v1alpha1"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
)

// impersonationKey is the request metadata field Istio's node agents
// (ztunnel) use to ask for another workload's certificate. sailplane signs
// only for the caller, so a request carrying it is refused, not quietly
// answered with the caller's own identity.
const impersonationKey = "ImpersonatedIdentity"

// CertificateService is Istio's CSR API,
// istio.v1.auth.IstioCertificateService/CreateCertificate, which
// istio-agent calls to get its workload certificate. It must be served
// only on the authenticated port: the caller's identity comes from auth,
// and a CSR is signed for that identity alone.
type CertificateService struct {
	pb.UnimplementedIstioCertificateServiceServer

	auth    func(context.Context) (identity.Identity, error)
	current func() *CA
	maxTTL  time.Duration
	now     func() time.Time
}

// NewCertificateService returns the service. current gives the CA to sign
// with (Holder.Current); maxTTL caps the validity a caller may ask for
// (longer requests are clamped, not refused); now is the clock.
func NewCertificateService(auth identity.Authenticator, current func() *CA, maxTTL time.Duration, now func() time.Time) *CertificateService {
	return &CertificateService{auth: auth.Authenticate, current: current, maxTTL: maxTTL, now: now}
}

// Register adds the service to a gRPC server.
func (s *CertificateService) Register(g grpc.ServiceRegistrar) {
	pb.RegisterIstioCertificateServiceServer(g, s)
}

// CreateCertificate signs the caller's CSR. The response is Istio's
// shape: PEM certificates leaf, intermediates..., root.
func (s *CertificateService) CreateCertificate(ctx context.Context, req *pb.IstioCertificateRequest) (*pb.IstioCertificateResponse, error) {
	id, err := s.auth(ctx)
	if err != nil {
		if _, ok := status.FromError(err); ok {
			return nil, err
		}
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	if _, ok := req.GetMetadata().GetFields()[impersonationKey]; ok {
		return nil, status.Errorf(codes.PermissionDenied, "%s may not ask for another identity's certificate (%s); sailplane signs only for the caller", id.SPIFFE(), impersonationKey)
	}
	c := s.current()
	if c == nil {
		return nil, status.Error(codes.Unavailable, "the mesh CA is not loaded yet")
	}
	chain, err := c.SignCSR([]byte(req.GetCsr()), id, s.ttl(req.GetValidityDuration()), s.now())
	if errors.Is(err, ErrOtherIdentity) {
		return nil, status.Error(codes.PermissionDenied, err.Error())
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	resp := &pb.IstioCertificateResponse{CertChain: make([]string, len(chain))}
	for i, p := range chain {
		resp.CertChain[i] = strings.TrimSpace(string(p)) + "\n"
	}
	return resp, nil
}

// ttl reads validity_duration (seconds, Istio's unit): unset or not
// positive means the default workload lifetime, and both are capped at
// maxTTL.
func (s *CertificateService) ttl(seconds int64) time.Duration {
	ttl := defaults.WorkloadCertTTL
	if seconds > 0 {
		if seconds > int64(s.maxTTL/time.Second) {
			return s.maxTTL
		}
		ttl = time.Duration(seconds) * time.Second
	}
	return min(ttl, s.maxTTL)
}
