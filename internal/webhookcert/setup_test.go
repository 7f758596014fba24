package webhookcert

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
)

// TestSetupServesTrustedCertificate wires everything as cmd/sailplane
// does: Setup before the manager starts, then the webhook server must serve
// a certificate that the caBundle the leader patched verifies, and a
// re-created webhook configuration (caBundle empty) must be repaired.
func TestSetupServesTrustedCertificate(t *testing.T) {
	s, _ := setup(t, nil)
	port := freePort(t)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 c.Scheme(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer:          crwebhook.NewServer(crwebhook.Options{Host: "127.0.0.1", Port: port, CertDir: s.opts.CertDir}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := s.opts
	opts.Resync = time.Second
	if err := Setup(ctx, mgr, opts, logr.Discard()); err != nil {
		t.Fatal(err)
	}
	// The manager starts its webhook server once something is registered.
	mgr.GetWebhookServer().Register("/inject", http.NotFoundHandler())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()

	bundle := waitCABundle(t, s)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(bundle)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var conn *tls.Conn
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		conn, err = tls.Dial("tcp", addr, &tls.Config{RootCAs: roots, ServerName: s.opts.DNSNames()[0]})
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("the webhook server's certificate is not trusted by caBundle: %v", err)
	}
	conn.Close()

	// kubectl replace (or delete and create) empties caBundle.
	hooks, _ := s.getConfig(ctx)
	hooks.ResourceVersion = ""
	for i := range hooks.Webhooks {
		hooks.Webhooks[i].ClientConfig.CABundle = nil
	}
	if err := c.Delete(ctx, &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: hooks.ObjectMeta}); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, hooks); err != nil {
		t.Fatal(err)
	}
	if again := waitCABundle(t, s); !bytes.Equal(again, bundle) {
		t.Error("the re-created configuration got another caBundle")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("manager: %v", err)
	}
}

// waitCABundle waits until every webhook has the same non-empty caBundle.
func waitCABundle(t *testing.T, s *store) []byte {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got := caBundles(t, s)
		same := len(got[0]) > 0
		for _, b := range got {
			same = same && bytes.Equal(b, got[0])
		}
		if same {
			return got[0]
		}
	}
	t.Fatal("caBundle was not patched into every webhook")
	return nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
