package trust

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc/codes"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// tlsSecret is a kubernetes.io/tls Secret with a fresh self-signed pair.
func tlsSecret(t *testing.T, ns, name, host string) *corev1.Secret {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			corev1.TLSPrivateKeyKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		},
	}
}

func httpsGateway(ns, name, host, credential string, selector map[string]string) *networkingv1.Gateway {
	return &networkingv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: networkingv1.GatewaySpec{Selector: selector, Servers: []networkingv1.Server{{
			Port:  networkingv1.Port{Number: 443, Name: "https-" + name, Protocol: "HTTPS"},
			Hosts: []string{host},
			TLS:   &networkingv1.ServerTLSSettings{Mode: "SIMPLE", CredentialName: credential},
		}}},
	}
}

func create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := k8s.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

// A gateway proxy of namespace X gets X's key pair and never Y's, even
// when a Gateway of Y selects it; a sidecar gets no Gateway's key pair;
// and the plaintext port never yields key material at all.
func TestSecretsOnlyToTheirOwners(t *testing.T) {
	gwLabels := map[string]string{"istio": "trust-ingress"}
	gw := makeWorkload(t, "trust-gw-x", "ingress", "ingress-1", "10.14.0.5", gwLabels)
	if err := ensureNamespace(context.Background(), "trust-gw-y"); err != nil {
		t.Fatal(err)
	}
	create(t,
		tlsSecret(t, "trust-gw-x", "x-cert", "x.example.com"),
		tlsSecret(t, "trust-gw-y", "y-cert", "y.example.com"),
		httpsGateway("trust-gw-x", "x", "x.example.com", "x-cert", gwLabels),
		httpsGateway("trust-gw-y", "y", "y.example.com", "y-cert", gwLabels),
		httpsGateway("trust-gw-y", "y-qualified", "yq.example.com", "trust-gw-y/y-cert", gwLabels),
	)
	roots, _ := meshRoots(t, gw.ns)

	t.Run("gateway of X", func(t *testing.T) {
		c := openADS(t, dial(t, cp.secure, dialOpts{tls: proxyTLS(roots), token: boundToken(t, gw, defaults.TokenAudience)}), gw.node(names.Router))
		sds := listenerSecrets(t, c)
		if len(sds) == 0 {
			t.Fatal("the gateway's listeners name no SDS secret: Gateway x was not served")
		}
		asked := append(append([]string{}, sds...), "kubernetes://y-cert", "kubernetes://trust-gw-y/y-cert")
		c.ask(t, resource.SecretType, asked, nil)
		got := secrets(t, c.next(resource.SecretType, 30*time.Second))
		if got["kubernetes://x-cert"].GetTlsCertificate() == nil {
			t.Errorf("the gateway did not get its own namespace's key pair x-cert (got %v)", keys(got))
		}
		for name, s := range got {
			if s.GetTlsCertificate() != nil && strings.Contains(name, "y-cert") {
				t.Errorf("a gateway of namespace trust-gw-x received %s, a key pair of trust-gw-y", name)
			}
		}
	})

	t.Run("sidecar", func(t *testing.T) {
		side := makeWorkload(t, "trust-gw-x", "app", "app-1", "10.14.0.6", map[string]string{"app": "web"})
		c := openADS(t, dial(t, cp.secure, dialOpts{tls: proxyTLS(roots), token: boundToken(t, side, defaults.TokenAudience)}), side.nodeID())
		c.ask(t, resource.ClusterType, nil, nil)
		if c.next(resource.ClusterType, 30*time.Second) == nil {
			t.Fatalf("sidecar got no clusters: %s", c.ended(t, time.Second).Message())
		}
		c.ask(t, resource.SecretType, []string{"kubernetes://x-cert", names.WorkloadCertSecret}, nil)
		got := secrets(t, c.next(resource.SecretType, 30*time.Second))
		if got["kubernetes://x-cert"] != nil {
			t.Error("a sidecar received the Gateway's key pair kubernetes://x-cert")
		}
		if leaf := workloadCert(t, got); leaf.URIs[0].String() != "spiffe://cluster.local/ns/trust-gw-x/sa/app" {
			t.Errorf("sidecar's own certificate names %s", leaf.URIs[0])
		}
	})

	t.Run("plaintext port", func(t *testing.T) {
		c := openADS(t, dial(t, cp.plaintext, dialOpts{}), gw.node(names.Router))
		c.ask(t, resource.ListenerType, nil, nil)
		if c.next(resource.ListenerType, 30*time.Second) == nil {
			t.Fatalf("plaintext gateway got no listeners: %s", c.ended(t, time.Second).Message())
		}
		c.ask(t, resource.SecretType, []string{"kubernetes://x-cert", names.WorkloadCertSecret, names.RootCASecret}, nil)
		if r := c.next(resource.SecretType, 5*time.Second); r != nil {
			t.Fatalf("the plaintext port answered SDS with %d secrets", len(r.Resources))
		}
		st := c.ended(t, 10*time.Second)
		if st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), "authenticated xDS port") {
			t.Fatalf("plaintext SDS refused with %s %q", st.Code(), st.Message())
		}
	})
}

// listenerSecrets walks Envoy's start-up far enough to see which SDS
// secrets the listeners name.
func listenerSecrets(t *testing.T, c *adsClient) []string {
	t.Helper()
	c.ask(t, resource.ListenerType, nil, nil)
	var out []string
	envtestutil.WaitFor(t, 30*time.Second, "a gateway listener naming an SDS secret", func() bool {
		r := c.next(resource.ListenerType, 100*time.Millisecond)
		if r == nil {
			return false
		}
		c.ask(t, resource.ListenerType, nil, r)
		out = nil
		for _, a := range r.Resources {
			var l listenerv3.Listener
			if err := a.UnmarshalTo(&l); err != nil {
				t.Fatal(err)
			}
			for _, fc := range l.FilterChains {
				var d tlsv3.DownstreamTlsContext
				if fc.GetTransportSocket().GetTypedConfig().UnmarshalTo(&d) != nil {
					continue
				}
				for _, s := range d.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
					out = append(out, s.Name)
				}
			}
		}
		return len(out) > 0
	})
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
