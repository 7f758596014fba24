package xds

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// selfSigned returns a PEM certificate and key for host.
func selfSigned(t *testing.T, host string) ([]byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host},
		DNSNames: []string{host}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
}

// TestGatewaySecretRotationOverSDS: a gateway terminating TLS with a
// credentialName gets the Secret's certificate over SDS, and a rotated
// Secret reaches it as a new SDS version while its listeners stay as they
// were (no drain, no restart).
func TestGatewaySecretRotationOverSDS(t *testing.T) {
	const ns = "gwsds"
	ctx := context.Background()
	create(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ingress", Namespace: ns}})
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ingress", Namespace: ns, Labels: map[string]string{"istio": "ingressgateway"}},
		Spec:       corev1.PodSpec{ServiceAccountName: "ingress", Containers: []corev1.Container{{Name: "istio-proxy", Image: "envoy"}}},
	}
	create(t, pod)
	pod.Status.PodIP = "10.1.0.50"
	if err := k8s.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	cert1, key1 := selfSigned(t, "shop.example.com")
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "shop-cert", Namespace: ns}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{"tls.crt": cert1, "tls.key": key1},
	}
	create(t, secret)
	gw := &networkingv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: ns}}
	gw.Spec.Selector = map[string]string{"istio": "ingressgateway"}
	gw.Spec.Servers = []networkingv1.Server{{
		Port:  networkingv1.Port{Number: 443, Name: "https", Protocol: "HTTPS"},
		Hosts: []string{"shop.example.com"},
		TLS:   &networkingv1.ServerTLSSettings{Mode: "SIMPLE", CredentialName: "shop-cert"},
	}}
	create(t, gw)

	r := startReplica(t, false)
	node := names.NodeID(names.Node{Type: names.Router, IP: "10.1.0.50", Pod: "ingress", Namespace: ns, Domain: "cluster.local"})
	// Secrets are served only on the authenticated port, to the gateway's
	// own identity.
	c := dialSotW(t, r.secure, node, authenticated(t, ns, pod)...)
	_, last := c.subscribe(t)
	sdsName := names.CredentialSecret("shop-cert")
	c.send(t, resource.SecretType, []string{sdsName}, "", "", nil)
	first := c.next(t, resource.SecretType, 20*time.Second)
	c.send(t, resource.SecretType, []string{sdsName}, first.VersionInfo, first.Nonce, nil)
	if got := certOf(t, first); string(got) != string(cert1) {
		t.Fatalf("SDS served a different certificate:\n%s", got)
	}

	cert2, key2 := selfSigned(t, "shop.example.com")
	secret.Data = map[string][]byte{"tls.crt": cert2, "tls.key": key2}
	if err := k8s.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	rotated := c.next(t, resource.SecretType, 20*time.Second)
	if got := certOf(t, rotated); string(got) != string(cert2) {
		t.Fatalf("after rotation SDS served:\n%s", got)
	}
	if again := c.Poll(resource.ListenerType, time.Second); again != nil && again.VersionInfo != last[resource.ListenerType].VersionInfo {
		t.Errorf("rotating the Secret changed the listeners (version %s → %s)", last[resource.ListenerType].VersionInfo, again.VersionInfo)
	}
}

func certOf(t *testing.T, resp interface{ GetResources() []*anyMessage }) []byte {
	t.Helper()
	res := resp.GetResources()
	if len(res) != 1 {
		t.Fatalf("want one secret, got %d", len(res))
	}
	var s tlsv3.Secret
	if err := res[0].UnmarshalTo(&s); err != nil {
		t.Fatal(err)
	}
	return s.GetTlsCertificate().GetCertificateChain().GetInlineBytes()
}

// authenticated are the dial options of an injected proxy: TLS against
// the mesh root published in its namespace, and its pod-bound token.
func authenticated(t *testing.T, ns string, pod *corev1.Pod) []grpc.DialOption {
	t.Helper()
	var cm corev1.ConfigMap
	deadline := time.Now().Add(60 * time.Second)
	for k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: defaults.RootCertConfigMap}, &cm) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("no ConfigMap %s in %s", defaults.RootCertConfigMap, ns)
		}
		time.Sleep(50 * time.Millisecond)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM([]byte(cm.Data[defaults.RootCertKey]))
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	secs := int64(3600)
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), pod.Spec.ServiceAccountName, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences: []string{defaults.TokenAudience}, ExpirationSeconds: &secs,
		BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := &tls.Config{RootCAs: roots, ServerName: "sailplane.default.svc", MinVersion: tls.VersionTLS12}
	return []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)), grpc.WithPerRPCCredentials(envtestutil.Bearer(tr.Status.Token))}
}

// bearer sends a token as the injected proxy's call credentials do.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (bearer) RequireTransportSecurity() bool { return true }
