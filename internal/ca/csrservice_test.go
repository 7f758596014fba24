package ca

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	pb "istio.io/api/security/v1alpha1"

	"github.com/sailplane/sailplane/internal/identity"
)

// fixedAuth stands in for the real authenticator (service-account token
// review, peer certificates), which is built and tested in its own
// package: these tests are about what the CSR service does with an
// identity once it has one, so a fixed identity (or refusal) is enough.
type fixedAuth struct {
	id  identity.Identity
	err error
}

func (a fixedAuth) Authenticate(context.Context) (identity.Identity, error) { return a.id, a.err }

// serve runs the service on a real gRPC server on loopback and returns a
// client of it.
func serve(t *testing.T, svc *CertificateService) pb.IstioCertificateServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	svc.Register(g)
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return pb.NewIstioCertificateServiceClient(conn)
}

func csrPEMFor(t *testing.T, ids ...string) string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return string(csrFor(t, key, &x509.CertificateRequest{URIs: uris(t, ids...)}))
}

func TestCreateCertificateSignsForTheCaller(t *testing.T) {
	c := mustCA(t, pluggedData(t, selfSigned(t), 30*24*time.Hour), true)
	maxTTL := 2 * time.Hour
	client := serve(t, NewCertificateService(fixedAuth{id: alice}, func() *CA { return c }, maxTTL, func() time.Time { return t0 }))
	ctx := context.Background()
	for _, tc := range []struct {
		ask  int64
		want time.Duration
	}{{0, maxTTL}, {600, 10 * time.Minute}, {10 * 365 * 24 * 3600, maxTTL}} {
		resp, err := client.CreateCertificate(ctx, &pb.IstioCertificateRequest{Csr: csrPEMFor(t, alice.SPIFFE()), ValidityDuration: tc.ask})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.CertChain) != 3 {
			t.Fatalf("cert_chain holds %d entries, want leaf, intermediate, root", len(resp.CertChain))
		}
		var chain []*x509.Certificate
		for _, p := range resp.CertChain {
			chain = append(chain, parsePEMChain(t, []byte(p))...)
		}
		if !chain[2].Equal(c.root) {
			t.Error("last entry is not the root")
		}
		leaf := chain[0]
		if err := verify(leaf, chain[1:2], c.Roots(), t0, x509.ExtKeyUsageClientAuth); err != nil {
			t.Error(err)
		}
		assertOnlySPIFFE(t, leaf, alice.SPIFFE())
		if got := leaf.NotAfter.Sub(t0); got != tc.want {
			t.Errorf("asked for %ds: lives %s, want %s", tc.ask, got, tc.want)
		}
	}
}

func TestCreateCertificateRefuses(t *testing.T) {
	c := mustCA(t, selfSigned(t), false)
	now := func() time.Time { return t0 }
	bob := alice
	bob.ServiceAccount = "bob"
	impersonate, _ := structpb.NewStruct(map[string]any{impersonationKey: bob.SPIFFE()})
	cases := []struct {
		name string
		auth identity.Authenticator
		ca   *CA
		req  *pb.IstioCertificateRequest
		code codes.Code
		msg  string
	}{
		{"another identity", fixedAuth{id: alice}, c, &pb.IstioCertificateRequest{Csr: csrPEMFor(t, bob.SPIFFE())}, codes.PermissionDenied, "asks for spiffe://cluster.local/ns/shop/sa/bob, but the caller is spiffe://cluster.local/ns/shop/sa/alice"},
		{"impersonation", fixedAuth{id: alice}, c, &pb.IstioCertificateRequest{Csr: csrPEMFor(t, alice.SPIFFE()), Metadata: impersonate}, codes.PermissionDenied, "may not ask for another identity's certificate"},
		{"unauthenticated", fixedAuth{err: status.Error(codes.Unauthenticated, "no token")}, c, &pb.IstioCertificateRequest{Csr: csrPEMFor(t, alice.SPIFFE())}, codes.Unauthenticated, "no token"},
		{"DNS name", fixedAuth{id: alice}, c, &pb.IstioCertificateRequest{Csr: csrWithDNS(t)}, codes.InvalidArgument, "asks for DNS names"},
		{"not a CSR", fixedAuth{id: alice}, c, &pb.IstioCertificateRequest{Csr: "hello"}, codes.InvalidArgument, "CSR is not PEM"},
		{"no CA yet", fixedAuth{id: alice}, nil, &pb.IstioCertificateRequest{Csr: csrPEMFor(t, alice.SPIFFE())}, codes.Unavailable, "not loaded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ca := tc.ca
			client := serve(t, NewCertificateService(tc.auth, func() *CA { return ca }, time.Hour, now))
			resp, err := client.CreateCertificate(context.Background(), tc.req)
			st, _ := status.FromError(err)
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Fatalf("got %v (%d certs), want %s containing %q", err, len(resp.GetCertChain()), tc.code, tc.msg)
			}
		})
	}
}

func csrWithDNS(t *testing.T) string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return string(csrFor(t, key, &x509.CertificateRequest{URIs: uris(t, alice.SPIFFE()), DNSNames: []string{"x.example"}}))
}
