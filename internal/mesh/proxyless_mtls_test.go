package mesh_test

import (
	"os"
	"path/filepath"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/mesh"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/internal/translate"
	"github.com/sailplane/sailplane/internal/xds"
)

func proxylessNode(t *testing.T, pod, ip, sa string, proved bool) mesh.Node {
	t.Helper()
	md, err := structpb.NewStruct(map[string]any{"GENERATOR": mesh.GeneratorGRPC, "NAMESPACE": "shop"})
	if err != nil {
		t.Fatal(err)
	}
	n := mesh.Node{ID: names.NodeID(names.Node{Type: names.Sidecar, IP: ip, Pod: pod, Namespace: "shop", Domain: defaults.DomainSuffix}), Metadata: md}
	if proved {
		n.Identity = &identity.Identity{TrustDomain: defaults.TrustDomain, Namespace: "shop", ServiceAccount: sa}
	}
	return n
}

// TestProxylessMTLSPerNode: whether a proxyless node gets mutual TLS
// depends on what it proved, and its server listeners on its own pod, so
// neither may be shared with a node that differs in them, even in the
// same group (same namespace and labels).
func TestProxylessMTLSPerNode(t *testing.T) {
	b, _, err := translate.Load([]string{"../translate/testdata/grpc-mtls.base.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	proved := proxylessNode(t, "cart-0", "10.244.8.1", "cart", true)
	plaintext := proxylessNode(t, "cart-0", "10.244.8.1", "cart", false)
	replica := proxylessNode(t, "cart-1", "10.244.8.2", "cart", true)
	// Nodes are keyed by id: the proved and the plaintext one are the same
	// pod, computed apart.
	res := mesh.Compute(b, []mesh.Node{proved, replica})
	plain := mesh.Compute(b, []mesh.Node{plaintext})

	cart := "outbound|9000||cart.shop.svc.cluster.local"
	if c := clusterNamed(res.Resources[proved.ID], cart); c == nil || c.GetTransportSocket() == nil {
		t.Errorf("a node that proved its identity: cluster %s has no mutual TLS: %v", cart, c)
	}
	if c := clusterNamed(plain.Resources[plaintext.ID], cart); c == nil || c.GetTransportSocket() != nil {
		t.Errorf("a node on the plaintext port: cluster %s should be plaintext: %v", cart, c)
	}
	for _, tc := range []struct {
		node      mesh.Node
		res       *mesh.Result
		own, peer string
		chains    []string
	}{
		{proved, res, "10.244.8.1", "10.244.8.2", []string{names.GRPCInboundMTLSChain, names.GRPCInboundPlaintextChain}},
		{replica, res, "10.244.8.2", "10.244.8.1", []string{names.GRPCInboundMTLSChain, names.GRPCInboundPlaintextChain}},
		{plaintext, plain, "10.244.8.1", "10.244.8.2", []string{names.GRPCInboundPlaintextChain}},
	} {
		r := tc.res.Resources[tc.node.ID]
		l := listenerNamed(r, names.GRPCServerListener(tc.own, 9000))
		if l == nil {
			t.Errorf("%s: no server listener for its own address %s", tc.node.ID, tc.own)
			continue
		}
		if got := chainNames(l); !equalStrings(got, tc.chains) {
			t.Errorf("%s: PERMISSIVE server chains %v, want %v", tc.node.ID, got, tc.chains)
		}
		if listenerNamed(r, names.GRPCServerListener(tc.peer, 9000)) != nil {
			t.Errorf("%s: has the server listener of the other replica's address %s", tc.node.ID, tc.peer)
		}
	}
}

func clusterNamed(r *xds.Resources, name string) *clusterv3.Cluster {
	for _, c := range r.Clusters {
		if c.GetName() == name {
			return c
		}
	}
	return nil
}

func listenerNamed(r *xds.Resources, name string) *listenerv3.Listener {
	for _, l := range r.Listeners {
		if l.GetName() == name {
			return l
		}
	}
	return nil
}

func chainNames(l *listenerv3.Listener) []string {
	var out []string
	for _, fc := range l.GetFilterChains() {
		out = append(out, fc.GetName())
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestProxylessEndpointChangeRetranslates: on the endpoint-only fast path
// a proxyless client is translated in full, since its clusters' mutual
// TLS depends on the endpoints: an unmeshed endpoint joining cart turns
// cart's cluster to plaintext, as a full Compute would.
func TestProxylessEndpointChangeRetranslates(t *testing.T) {
	base := "../translate/testdata/grpc-mtls.base.yaml"
	extra := filepath.Join(t.TempDir(), "unmeshed-cart.yaml")
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: cart-plain, namespace: shop, labels: {app: cart}}\nspec: {serviceAccountName: cart, containers: [{name: app, image: cart}]}\nstatus: {podIP: 10.244.8.30}\n"
	if err := os.WriteFile(extra, []byte(pod), 0o600); err != nil {
		t.Fatal(err)
	}
	before, _, err := translate.Load([]string{base})
	if err != nil {
		t.Fatal(err)
	}
	after, _, err := translate.Load([]string{base, extra})
	if err != nil {
		t.Fatal(err)
	}
	node := proxylessNode(t, "checkout", "10.244.8.10", "checkout", true)
	first := mesh.Compute(before, []mesh.Node{node})
	cart := "outbound|9000||cart.shop.svc.cluster.local"
	if c := clusterNamed(first.Resources[node.ID], cart); c.GetTransportSocket() == nil {
		t.Fatalf("every cart endpoint meshed: want mutual TLS, got %v", c)
	}
	fast, ok := mesh.ComputeEndpoints(after, []mesh.Node{node}, first.Resources)
	if !ok {
		t.Fatal("the fast path refused a proxyless node")
	}
	if c := clusterNamed(fast.Resources[node.ID], cart); c.GetTransportSocket() != nil {
		t.Errorf("an unmeshed cart endpoint joined: want plaintext, got %v", c.GetTransportSocket())
	}
	if full := mesh.Compute(after, []mesh.Node{node}); !fast.Resources[node.ID].Equal(full.Resources[node.ID]) {
		t.Error("the fast path's resources differ from a full Compute's")
	}
}
