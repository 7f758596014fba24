// Package ca tests the mesh CA against the real kube-apiserver and etcd
// (envtest): loading and creating its Secrets, the CA controller that
// reloads them, and the controller that publishes istio-ca-root-cert in
// every namespace.
package ca

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/sailplane/sailplane/controllers"
	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/test/envtestutil"
)

// controlPlane is the namespace the running controllers own.
const controlPlane = "sailplane-system"

var (
	cfg    *rest.Config
	k8s    client.Client
	holder = ca.NewHolder()
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	env, c, err := envtestutil.Start()
	if err != nil {
		return 0, err
	}
	defer func() { _ = env.Stop() }()
	cfg = c
	scheme, err := manager.NewScheme()
	if err != nil {
		return 0, err
	}
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A namespace that exists before the controllers start.
	for _, ns := range []string{controlPlane, "existing"} {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return 0, err
		}
	}
	done, err := startControllers(ctx)
	if err != nil {
		return 0, err
	}
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		return 0, err
	}
	return code, nil
}

// startControllers runs the CA and root-certificate controllers in a
// manager wired as internal/manager should wire them: ConfigMaps cached by
// name only, Secrets read uncached.
func startControllers(ctx context.Context) (<-chan error, error) {
	scheme, _ := manager.NewScheme()
	log := zap.New(zap.UseDevMode(true), zap.Level(zapcore.InfoLevel), zap.WriteTo(os.Stderr))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 log,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}: {Field: fields.OneTermEqualSelector("metadata.name", defaults.RootCertConfigMap)},
		}},
	})
	if err != nil {
		return nil, err
	}
	caCtl := &controllers.CAReconciler{
		Reader: mgr.GetAPIReader(), Writer: mgr.GetClient(), Holder: holder,
		Namespace: controlPlane, TrustDomain: defaults.TrustDomain,
		Events: mgr.GetEventRecorder("sailplane-ca"), Log: log.WithName("ca"),
	}
	if err := caCtl.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	rootCtl := &controllers.RootCertReconciler{Client: mgr.GetClient(), Holder: holder, Log: log.WithName("rootcert")}
	if err := rootCtl.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	return done, nil
}

// eventually polls cond until it holds or a generous deadline (the test
// machine is shared and slow) passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// newNamespace creates a namespace for one test.
func newNamespace(t *testing.T, name string) string {
	t.Helper()
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		t.Fatal(err)
	}
	return name
}

// pluggedData makes a real root and an intermediate it signs, in Istio's
// cacerts layout; it returns the layout and the root's PEM.
func pluggedData(t *testing.T) (map[string][]byte, []byte) {
	t.Helper()
	now := time.Now()
	rootData, err := ca.NewSelfSignedSecretData("plugged.example", now)
	if err != nil {
		t.Fatal(err)
	}
	root, err := ca.FromSecretData(rootData, false)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(rootData[defaults.CAKeyKey])
	rootKey, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	inter, err := ca.NewSelfSignedSecretData("intermediate.example", now)
	if err != nil {
		t.Fatal(err)
	}
	interCA, err := ca.FromSecretData(inter, false)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{Organization: []string{defaults.TrustDomain}, CommonName: "plugged intermediate"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	// Re-sign the intermediate's own public key with the root.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.SigningCert(), interCA.SigningCert().PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	rootPEM := rootData[defaults.CACertKey]
	return map[string][]byte{
		defaults.CACertKey:    certPEM,
		defaults.CAKeyKey:     inter[defaults.CAKeyKey],
		defaults.RootCertKey:  rootPEM,
		defaults.CertChainKey: append(append([]byte{}, certPEM...), rootPEM...),
	}, rootPEM
}
