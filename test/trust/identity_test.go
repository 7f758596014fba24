package trust

import (
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc/codes"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// A pod's bound token with the pod's own node id gets the pod's
// configuration and the pod's certificate: its SPIFFE id, chaining to the
// root the control plane publishes.
func TestBoundTokenGetsOwnConfigAndCertificate(t *testing.T) {
	w := makeWorkload(t, "trust-own", "reviews", "reviews-1", "10.11.0.5", map[string]string{"app": "reviews"})
	roots, _ := meshRoots(t, w.ns)
	conn := dial(t, cp.secure, dialOpts{tls: proxyTLS(roots), token: boundToken(t, w, defaults.TokenAudience)})
	c := openADS(t, conn, w.nodeID())
	c.ask(t, resource.ClusterType, nil, nil)
	cds := c.next(resource.ClusterType, 30*time.Second)
	if cds == nil {
		t.Fatalf("no clusters: %v", c.ended(t, time.Second).Message())
	}
	if !hasCluster(t, cds, "PassthroughCluster") {
		t.Errorf("clusters lack PassthroughCluster: not a sidecar's configuration")
	}
	c.ask(t, resource.SecretType, []string{names.WorkloadCertSecret, names.RootCASecret}, nil)
	got := secrets(t, c.next(resource.SecretType, 30*time.Second))
	leaf := workloadCert(t, got)
	want := "spiffe://cluster.local/ns/trust-own/sa/reviews"
	if len(leaf.URIs) != 1 || leaf.URIs[0].String() != want {
		t.Fatalf("certificate URI SANs %v, want exactly %s", leaf.URIs, want)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("certificate does not chain to the published root: %v", err)
	}
	bundle := got[names.RootCASecret].GetValidationContext().GetTrustedCa().GetInlineBytes()
	if len(bundle) == 0 || !roots.Equal(poolOf(t, bundle)) {
		t.Errorf("ROOTCA does not hold the published trust bundle")
	}
}

// Everything that is not the pod's own credential with the pod's own
// node id is refused, and the refusal says why.
func TestRefusedCallers(t *testing.T) {
	a := makeWorkload(t, "trust-refuse", "ratings", "ratings-a", "10.12.0.5", nil)
	b := makeWorkload(t, "trust-refuse", "ratings", "ratings-b", "10.12.0.6", nil)
	other := makeWorkload(t, "trust-other", "ratings", "ratings-x", "10.13.0.5", nil)
	roots, _ := meshRoots(t, a.ns)
	tokenA := boundToken(t, a, defaults.TokenAudience)
	cases := []struct {
		name   string
		opts   dialOpts
		node   string
		code   codes.Code
		reason string
	}{
		{"same token, pod B's node id", dialOpts{tls: proxyTLS(roots), token: tokenA}, b.nodeID(), codes.PermissionDenied, `is not the caller's pod "ratings-a"`},
		{"token of another namespace", dialOpts{tls: proxyTLS(roots), token: boundToken(t, other, defaults.TokenAudience)}, a.nodeID(), codes.PermissionDenied, `namespace "trust-refuse"`},
		{"token for another audience", dialOpts{tls: proxyTLS(roots), token: boundToken(t, a, "not-istio-ca")}, a.nodeID(), codes.Unauthenticated, ""},
		{"expired token", dialOpts{tls: proxyTLS(roots), token: expiredToken(t, a)}, a.nodeID(), codes.Unauthenticated, ""},
		{"malformed token", dialOpts{tls: proxyTLS(roots), token: "not-a-jwt"}, a.nodeID(), codes.Unauthenticated, ""},
		{"no token", dialOpts{tls: proxyTLS(roots)}, a.nodeID(), codes.Unauthenticated, "no credentials"},
		{"plaintext to the authenticated port", dialOpts{}, a.nodeID(), codes.Unauthenticated, "needs TLS"},
	}
	t.Run("the crafted token, unexpired, is accepted", func(t *testing.T) {
		c := openADS(t, dial(t, cp.secure, dialOpts{tls: proxyTLS(roots), token: craftedToken(t, a, time.Now().Add(time.Hour))}), a.nodeID())
		c.ask(t, resource.ClusterType, nil, nil)
		if c.next(resource.ClusterType, 30*time.Second) == nil {
			t.Fatalf("a well-formed unexpired token was refused: %s", c.ended(t, time.Second).Message())
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := openADS(t, dial(t, cp.secure, tc.opts), tc.node)
			c.ask(t, resource.ClusterType, nil, nil)
			if r := c.next(resource.ClusterType, 5*time.Second); r != nil {
				t.Fatalf("got %d clusters; the caller should have been refused", len(r.Resources))
			}
			st := c.ended(t, 10*time.Second)
			if st.Code() != tc.code || !strings.Contains(st.Message(), tc.reason) || st.Message() == "" {
				t.Fatalf("refused with %s %q, want %s naming %q", st.Code(), st.Message(), tc.code, tc.reason)
			}
		})
	}
}

func hasCluster(t *testing.T, r *discoveryv3.DiscoveryResponse, name string) bool {
	t.Helper()
	for _, a := range r.GetResources() {
		var c clusterv3.Cluster
		if err := a.UnmarshalTo(&c); err != nil {
			t.Fatal(err)
		}
		if c.Name == name {
			return true
		}
	}
	return false
}

// workloadCert parses the leaf of the "default" secret, and checks its
// private key matches (Envoy would refuse a mismatched pair).
func workloadCert(t *testing.T, got map[string]*tlsv3.Secret) *x509.Certificate {
	t.Helper()
	s := got[names.WorkloadCertSecret].GetTlsCertificate()
	if s == nil {
		t.Fatalf("no %q key pair among %d secrets", names.WorkloadCertSecret, len(got))
	}
	block, _ := pem.Decode(s.GetCertificateChain().GetInlineBytes())
	if block == nil {
		t.Fatal("the certificate chain is not PEM")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.GetPrivateKey().GetInlineBytes()) == 0 {
		t.Fatal("the key pair has no private key")
	}
	return leaf
}

func poolOf(t *testing.T, pemBytes []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pemBytes) {
		t.Fatal("no certificate in bundle")
	}
	return p
}
