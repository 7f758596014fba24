package xdsserver

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/go-logr/logr"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/xds"
)

// fakeCerts is a WorkloadCerts that names the identity in its secret, so
// the test sees whose certificate a node got.
type fakeCerts struct{ retained map[string]bool }

func (f *fakeCerts) Secrets(id identity.Identity) ([]*tlsv3.Secret, error) {
	return []*tlsv3.Secret{{Name: names.WorkloadCertSecret + "@" + id.SPIFFE()}}, nil
}
func (f *fakeCerts) Retain(ids map[string]bool) { f.retained = ids }

func secretNames(r *xds.Resources) []string {
	var out []string
	for _, s := range r.Secrets {
		out = append(out, s.Name)
	}
	return out
}

func TestSecretsViewGivesEachNodeWhatItProved(t *testing.T) {
	group := &xds.Resources{Secrets: []*tlsv3.Secret{{Name: "kubernetes://gw-cert"}}}
	certs := &fakeCerts{}
	v := NewSecretsView(certs)
	a := identity.Identity{TrustDomain: "td", Namespace: "ns", ServiceAccount: "a"}
	b := identity.Identity{TrustDomain: "td", Namespace: "ns", ServiceAccount: "b"}

	if got := secretNames(v.For(group, nil)); len(got) != 0 {
		t.Errorf("a plaintext node got secrets %v", got)
	}
	got := secretNames(v.For(group, &a))
	if len(got) != 2 || got[0] != "kubernetes://gw-cert" || got[1] != "default@"+a.SPIFFE() {
		t.Errorf("an authenticated node got %v, want its group's credential and its own certificate", got)
	}
	if v.For(group, &a) != v.For(group, &a) {
		t.Error("the same group and identity must share one view (and so one snapshot)")
	}
	if v.For(group, &a) == v.For(group, &b) {
		t.Error("two identities share a view: one would get the other's key")
	}
	if len(group.Secrets) != 1 {
		t.Error("the group's own resources were modified")
	}
	v.Published()
	if !certs.retained[a.SPIFFE()] || !certs.retained[b.SPIFFE()] || len(certs.retained) != 2 {
		t.Errorf("retained %v, want exactly the two identities served", certs.retained)
	}
}

// stableCerts hands out one list per identity until it is renewed, as
// the issuer does.
type stableCerts struct{ issued map[string][]*tlsv3.Secret }

func (f *stableCerts) Secrets(id identity.Identity) ([]*tlsv3.Secret, error) {
	if l, ok := f.issued[id.SPIFFE()]; ok {
		return l, nil
	}
	l := []*tlsv3.Secret{{Name: names.WorkloadCertSecret + "@" + id.SPIFFE()}}
	f.issued[id.SPIFFE()] = l
	return l, nil
}
func (f *stableCerts) Retain(map[string]bool) {}

// A publish that changes neither a group's secrets nor an identity's
// certificate hands the node the list it had (so the builder need not
// convert it again); a renewal, or another identity, gets a list of its own.
func TestSecretsViewKeepsListsAcrossPublishes(t *testing.T) {
	certs := &stableCerts{issued: map[string][]*tlsv3.Secret{}}
	v := NewSecretsView(certs)
	a := identity.Identity{TrustDomain: "td", Namespace: "ns", ServiceAccount: "a"}
	b := identity.Identity{TrustDomain: "td", Namespace: "ns", ServiceAccount: "b"}
	group := &xds.Resources{Secrets: []*tlsv3.Secret{{Name: "kubernetes://gw-cert"}}}
	first := v.For(group, &a).Secrets

	v.Reset()
	again := *group // the next reconcile's resources: a new struct, the same lists
	if got := v.For(&again, &a).Secrets; &got[0] != &first[0] || len(got) != len(first) {
		t.Error("an unchanged group and certificate got a new secret list")
	}
	if got := v.For(&again, &b).Secrets; &got[0] == &first[0] || secretNames(&xds.Resources{Secrets: got})[1] != "default@"+b.SPIFFE() {
		t.Errorf("identity b got %v, want its own list with its own certificate", secretNames(&xds.Resources{Secrets: got}))
	}

	v.Reset()
	delete(certs.issued, a.SPIFFE()) // renewed
	got := v.For(&again, &a).Secrets
	if &got[0] == &first[0] || got[1] == first[1] {
		t.Error("a renewed certificate was served from the old list")
	}

	v.Reset()
	other := &xds.Resources{Secrets: []*tlsv3.Secret{{Name: "kubernetes://other-cert"}}}
	if got := secretNames(v.For(other, &a)); got[0] != "kubernetes://other-cert" {
		t.Errorf("a changed group list gave %v, want the new group credential", got)
	}
}

// A node id is served on one port and as one identity at a time: a
// plaintext stream cannot join a proxy connected on the authenticated
// port (it would be answered from that proxy's snapshot), nor can a second
// identity.
func TestTrackerServesANodeOnOnePortAsOneIdentity(t *testing.T) {
	tr := newTracker(nil)
	node := &corev3.Node{Id: "sidecar~10.0.0.1~app-1.ns~ns.svc.cluster.local"}
	a := identity.Identity{TrustDomain: "td", Namespace: "ns", ServiceAccount: "a"}
	b := identity.Identity{TrustDomain: "td", Namespace: "ns", ServiceAccount: "b"}
	tr.opened(streamKey(authenticated, false, 1), authenticated, &a)
	if err := tr.request(streamKey(authenticated, false, 1), node, "", "", false, nil); err != nil {
		t.Fatal(err)
	}
	tr.opened(streamKey(plaintext, false, 1), plaintext, nil)
	err := tr.request(streamKey(plaintext, false, 1), node, "", "", false, nil)
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("plaintext stream joined an authenticated proxy: %v", err)
	}
	tr.opened(streamKey(authenticated, false, 2), authenticated, &b)
	if err := tr.request(streamKey(authenticated, false, 2), node, "", "", false, nil); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a second identity joined the proxy: %v", err)
	}
	tr.opened(streamKey(authenticated, false, 3), authenticated, &a)
	if err := tr.request(streamKey(authenticated, false, 3), node, "", "", false, nil); err != nil {
		t.Errorf("a second stream of the same identity was refused: %v", err)
	}
	if got := tr.Identity(node.Id); got == nil || got.SPIFFE() != a.SPIFFE() {
		t.Errorf("Identity = %v, want %s", got, a.SPIFFE())
	}
	if ch, _ := tr.channelOf(node.Id); ch != authenticated {
		t.Errorf("channel %s, want authenticated", ch)
	}
}

func TestPlaintextStreamsNeverGetSecrets(t *testing.T) {
	s := New(context.Background(), logr.Discard(), DefaultOptions())
	c := &callbacks{s: s, channel: plaintext}
	if err := c.opened(context.Background(), streamKey(plaintext, false, 1), resource.SecretType); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a plaintext SDS stream was opened: %v", err)
	}
	if err := c.checkRequest(streamKey(plaintext, false, 2), 2, &corev3.Node{Id: "router~1.2.3.4~gw.ns~ns.svc.cluster.local"}, resource.SecretType); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a plaintext ADS stream's SDS request passed: %v", err)
	}
	sec := &callbacks{s: s, channel: authenticated}
	if err := sec.opened(context.Background(), streamKey(authenticated, false, 3), ""); status.Code(err) != codes.Unauthenticated {
		t.Errorf("an authenticated-port stream without a verified identity was opened: %v", err)
	}
}

// splitTLS hands TLS connections and everything else to different
// listeners, with the first byte intact.
func TestSplitTLSRoutesByFirstByte(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tlsL, plainL := splitTLS(ctx, lis)
	for _, tc := range []struct {
		first string
		want  net.Listener
	}{{"\x16\x03\x01rest", tlsL}, {"PRI * HTTP/2.0", plainL}} {
		conn, err := net.Dial("tcp", lis.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, tc.first); err != nil {
			t.Fatal(err)
		}
		got := make(chan net.Conn, 1)
		go func(l net.Listener) {
			if c, err := l.Accept(); err == nil {
				got <- c
			}
		}(tc.want)
		select {
		case c := <-got:
			line, _ := bufio.NewReader(c).Peek(len(tc.first))
			if string(line) != tc.first {
				t.Errorf("read %q, want %q", line, tc.first)
			}
			c.Close()
		case <-time.After(5 * time.Second):
			t.Fatalf("connection starting %q did not reach its listener", tc.first[:3])
		}
		conn.Close()
	}
}

// A plaintext node's view asks for no secret: a cluster's auto mTLS match
// is gone (asking for "default" there would end its stream), the
// authenticated node's view keeps it, and the group is untouched.
func TestSecretsViewPlaintextAsksForNoSecret(t *testing.T) {
	sds := func(name string) *corev3.TransportSocket {
		ctx := &tlsv3.UpstreamTlsContext{CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{{Name: name}},
		}}
		a, err := anypb.New(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return &corev3.TransportSocket{Name: "envoy.transport_sockets.tls", ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a}}
	}
	group := &xds.Resources{Clusters: []*clusterv3.Cluster{{
		Name: "outbound|80||a.ns.svc.cluster.local",
		TransportSocketMatches: []*clusterv3.Cluster_TransportSocketMatch{
			{Name: "tlsMode-istio", TransportSocket: sds("default")},
			{Name: "tlsMode-disabled"},
		},
	}}}
	v := NewSecretsView(&fakeCerts{})
	plain := v.For(group, nil)
	if m := plain.Clusters[0].TransportSocketMatches; len(m) != 1 || m[0].Name != "tlsMode-disabled" {
		t.Errorf("plaintext node's matches %v, want only tlsMode-disabled", m)
	}
	if v.For(group, nil) != plain {
		t.Error("plaintext views of one group are not shared")
	}
	who := identity.Identity{TrustDomain: "td", Namespace: "ns", ServiceAccount: "a"}
	if m := v.For(group, &who).Clusters[0].TransportSocketMatches; len(m) != 2 {
		t.Errorf("authenticated node's matches %v, want both", m)
	}
	if len(group.Clusters[0].TransportSocketMatches) != 2 {
		t.Error("the group's cluster was modified")
	}
}
