package ca

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/defaults"
)

func TestLoadCreatesTheSelfSignedSecretOnce(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, "load-once")
	// Two replicas starting together: both must end up with one root.
	var wg sync.WaitGroup
	cas := make([]*ca.CA, 4)
	errs := make([]error, len(cas))
	for i := range cas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var src string
			cas[i], src, errs[i] = ca.Load(ctx, k8s, k8s, ns, defaults.TrustDomain, time.Now())
			if errs[i] == nil && src != defaults.SelfSignedCASecret {
				t.Errorf("source %q, want %s", src, defaults.SelfSignedCASecret)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Load %d: %v", i, err)
		}
		if !cas[i].Equal(cas[0]) {
			t.Errorf("Load %d got another root than Load 0", i)
		}
	}
	var s corev1.Secret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: defaults.SelfSignedCASecret}, &s); err != nil {
		t.Fatal(err)
	}
	if string(s.Type) != defaults.SelfSignedCASecretType {
		t.Errorf("Secret type %q", s.Type)
	}
	again, _, err := ca.Load(ctx, k8s, k8s, ns, defaults.TrustDomain, time.Now())
	if err != nil || !again.Equal(cas[0]) {
		t.Errorf("a later Load: %v, same root %v", err, again.Equal(cas[0]))
	}
}

func TestLoadPrefersCacerts(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, "load-plugged")
	if _, _, err := ca.Load(ctx, k8s, k8s, ns, defaults.TrustDomain, time.Now()); err != nil {
		t.Fatal(err)
	}
	data, rootPEM := pluggedData(t)
	if err := k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: defaults.PluggedCASecret}, Data: data}); err != nil {
		t.Fatal(err)
	}
	c, src, err := ca.Load(ctx, k8s, k8s, ns, defaults.TrustDomain, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if src != defaults.PluggedCASecret || string(c.TrustBundlePEM()) != string(rootPEM) {
		t.Errorf("source %q, bundle is the plugged root: %v", src, string(c.TrustBundlePEM()) == string(rootPEM))
	}
	if c.SigningCert().Subject.CommonName != "plugged intermediate" {
		t.Errorf("signing with %s", c.SigningCert().Subject)
	}
}

func TestLoadNamesTheBadKeyOfCacerts(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, "load-bad")
	data, _ := pluggedData(t)
	data[defaults.CAKeyKey] = []byte("not a key")
	if err := k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: defaults.PluggedCASecret}, Data: data}); err != nil {
		t.Fatal(err)
	}
	c, _, err := ca.Load(ctx, k8s, k8s, ns, defaults.TrustDomain, time.Now())
	want := "Secret load-bad/cacerts: ca-key.pem: not PEM"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Load = %v, %v; want an error containing %q", c, err, want)
	}
	// An invalid cacerts is never a reason to fall back to a self-signed root.
	var s corev1.Secret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: defaults.SelfSignedCASecret}, &s); err == nil {
		t.Error("istio-ca-secret was created although cacerts exists")
	}
}
