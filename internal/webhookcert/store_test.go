package webhookcert

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/internal/envtestbin"
)

var (
	cfg *rest.Config
	c   client.Client
)

// TestMain runs the package's tests against a real API server.
func TestMain(m *testing.M) {
	env, err := envtestbin.Environment()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if cfg, err = env.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	c, err = client.New(cfg, client.Options{Scheme: scheme})
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, err)
	}
	_ = env.Stop()
	os.Exit(code)
}

// clock is a movable Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (k *clock) Now() time.Time   { k.mu.Lock(); defer k.mu.Unlock(); return k.now }
func (k *clock) Set(t time.Time)  { k.mu.Lock(); defer k.mu.Unlock(); k.now = t }
func newClock(t time.Time) *clock { return &clock{now: t} }

// setup makes a namespace, a webhook configuration with three webhooks
// (like config/webhook) and a store for them.
func setup(t *testing.T, annotations map[string]string) (*store, *clock) {
	t.Helper()
	ctx := context.Background()
	ns := fmt.Sprintf("cp-%d", time.Now().UnixNano())
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	cfgName := ns + "-injector"
	hooks := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: cfgName, Annotations: annotations}}
	for _, name := range []string{"sidecar-injector", "rev-injector", "object-injector"} {
		hooks.Webhooks = append(hooks.Webhooks, admissionregistrationv1.MutatingWebhook{
			Name: name + ".sailplane.io",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
				Namespace: ns, Name: "sailplane", Path: ptr.To("/inject"), Port: ptr.To[int32](443),
			}},
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
		})
	}
	if err := c.Create(ctx, hooks); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(ctx, hooks) })
	clk := newClock(time.Now())
	opts := Options{Namespace: ns, CertDir: filepath.Join(t.TempDir(), "certs"), WebhookConfigName: cfgName, Now: clk.Now}.withDefaults()
	return &store{reader: c, writer: c, opts: opts, log: logr.Discard()}, clk
}

func caBundles(t *testing.T, s *store) [][]byte {
	t.Helper()
	cfg, err := s.getConfig(context.Background())
	if err != nil || cfg == nil {
		t.Fatalf("webhook configuration: %v", err)
	}
	var out [][]byte
	for _, w := range cfg.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	return out
}

func storedBundle(t *testing.T, s *store) (*corev1.Secret, Bundle) {
	t.Helper()
	sec, b, err := s.load(context.Background())
	if err != nil || sec == nil {
		t.Fatalf("Secret: %v (exists %v)", err, sec != nil)
	}
	return sec, b
}

// TestReplicasShareOneSecret: replicas starting together end up serving
// the same pair, stored once in a kubernetes.io/tls Secret.
func TestReplicasShareOneSecret(t *testing.T) {
	s, _ := setup(t, nil)
	results := make([]Bundle, 5)
	errs := make([]error, 5)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i], errs[i] = s.ensure(context.Background()) })
	}
	wg.Wait()
	sec, stored := storedBundle(t, s)
	for i := range results {
		if errs[i] != nil || !results[i].Equal(stored) {
			t.Errorf("replica %d: err %v, same pair as the Secret %v", i, errs[i], results[i].Equal(stored))
		}
	}
	if sec.Type != corev1.SecretTypeTLS || len(sec.Data[CAKey]) == 0 {
		t.Errorf("Secret type %s keys %d, want kubernetes.io/tls with tls.crt, tls.key, ca.crt", sec.Type, len(sec.Data))
	}
	if _, err := stored.Check(s.opts.DNSNames(), s.opts.Now(), s.opts.RenewBefore); err != nil {
		t.Error(err)
	}
}

// TestDamagedSecretIsReplaced: a Secret that cannot be served is replaced
// at start-up rather than served.
func TestDamagedSecretIsReplaced(t *testing.T) {
	s, _ := setup(t, nil)
	bad := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.opts.Namespace, Name: s.opts.SecretName},
		Data:       map[string][]byte{CertKey: []byte("junk"), KeyKey: []byte("junk"), CAKey: []byte("junk")},
	}
	if err := c.Create(context.Background(), bad); err != nil {
		t.Fatal(err)
	}
	b, err := s.ensure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, stored := storedBundle(t, s); !stored.Equal(b) || bytes.Equal(stored.CertPEM, []byte("junk")) {
		t.Error("the damaged Secret was not replaced")
	}
}

// TestCABundleAndRenewal: the leader writes ca.crt into every webhook, and
// renews a pair inside the renewal window so that both the old and the new
// certificate are trusted; replicas then install the new pair.
func TestCABundleAndRenewal(t *testing.T) {
	s, clk := setup(t, nil)
	ctx := context.Background()
	first, err := s.ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := &reloader{s: s}
	r.reload(ctx)
	if err := s.renew(ctx); err != nil {
		t.Fatal(err)
	}
	for i, ca := range caBundles(t, s) {
		if !bytes.Equal(ca, first.CAPEM) {
			t.Errorf("webhook %d: caBundle is not ca.crt", i)
		}
	}

	// Not due yet: nothing changes.
	clk.Set(clk.Now().Add(DefaultValidity - DefaultRenewBefore - time.Hour))
	if err := s.renew(ctx); err != nil {
		t.Fatal(err)
	}
	if _, b := storedBundle(t, s); !b.Equal(first) {
		t.Fatal("renewed before the window")
	}

	clk.Set(clk.Now().Add(2 * time.Hour))
	if err := s.renew(ctx); err != nil {
		t.Fatal(err)
	}
	_, second := storedBundle(t, s)
	if second.Equal(first) {
		t.Fatal("not renewed inside the window")
	}
	for i, ca := range caBundles(t, s) {
		if !bytes.Equal(ca, second.CAPEM) {
			t.Errorf("webhook %d: caBundle is not the renewed ca.crt", i)
		}
	}
	stillServed := Bundle{CertPEM: first.CertPEM, KeyPEM: first.KeyPEM, CAPEM: second.CAPEM}
	if _, err := stillServed.Check(s.opts.DNSNames(), clk.Now(), 0); err != nil {
		t.Errorf("a replica still serving the old certificate is no longer trusted: %v", err)
	}

	onDisk, _ := os.ReadFile(filepath.Join(s.opts.CertDir, CertKey))
	if !bytes.Equal(onDisk, first.CertPEM) {
		t.Fatal("files changed before the replica reloaded")
	}
	r.reload(ctx)
	onDisk, _ = os.ReadFile(filepath.Join(s.opts.CertDir, CertKey))
	if !bytes.Equal(onDisk, second.CertPEM) {
		t.Error("the replica did not install the renewed certificate")
	}
}

// TestCertManagerMode: with cert-manager's annotation and mounted files,
// nothing is generated, stored or patched; the annotation without files is
// an error that says what is missing.
func TestCertManagerMode(t *testing.T) {
	s, _ := setup(t, map[string]string{"cert-manager.io/inject-ca-from": "x/sailplane-serving-cert"})
	ctx := context.Background()
	_, err := s.certManagerProvides(ctx)
	if err == nil || !bytesContains(err.Error(), s.opts.SecretName) {
		t.Errorf("annotation without files: got %v, want an error naming the Secret", err)
	}
	if _, err := writeFiles(s.opts.CertDir, generate(t, time.Now())); err != nil {
		t.Fatal(err)
	}
	external, err := s.certManagerProvides(ctx)
	if err != nil || !external {
		t.Fatalf("external=%v err=%v, want cert-manager mode", external, err)
	}
	if err := s.patchCABundle(ctx, []byte("not ours to write")); err != nil {
		t.Fatal(err)
	}
	for _, ca := range caBundles(t, s) {
		if len(ca) != 0 {
			t.Error("caBundle written although cert-manager owns it")
		}
	}
}

func bytesContains(s, sub string) bool { return bytes.Contains([]byte(s), []byte(sub)) }
