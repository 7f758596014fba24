package ca

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/sailplane/sailplane/internal/defaults"
)

// rootCert is a namespace's published bundle, "" when absent.
func rootCert(ns string) string {
	var cm corev1.ConfigMap
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: defaults.RootCertConfigMap}, &cm); err != nil {
		return ""
	}
	return cm.Data[defaults.RootCertKey]
}

// bundle is the trust bundle of the CA the controllers hold now.
func bundle() string {
	if c := holder.Current(); c != nil {
		return string(c.TrustBundlePEM())
	}
	return ""
}

func TestRootCertIsPublishedAndRestored(t *testing.T) {
	ctx := context.Background()
	eventually(t, "the CA controller to create istio-ca-secret and load it", func() bool { return bundle() != "" })
	eventually(t, "the ConfigMap in a namespace that existed before the start", func() bool { return rootCert("existing") == bundle() })
	ns := newNamespace(t, "created-later")
	eventually(t, "the ConfigMap in a new namespace", func() bool { return rootCert(ns) == bundle() })

	var cm corev1.ConfigMap
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: defaults.RootCertConfigMap}, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Labels[defaults.IstioConfigLabel] != "true" {
		t.Errorf("labels %v", cm.Labels)
	}
	cm.Data[defaults.RootCertKey] = "-----BEGIN CERTIFICATE-----\nbogus\n-----END CERTIFICATE-----\n"
	if err := k8s.Update(ctx, &cm); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edited ConfigMap to be restored", func() bool { return rootCert(ns) == bundle() })

	if err := k8s.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: defaults.RootCertConfigMap}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted ConfigMap to be recreated", func() bool { return rootCert(ns) == bundle() })
	if rootCert(defaults.KubeSystemNamespace) != "" {
		t.Error("kube-system got the ConfigMap")
	}
}

func TestRotationAndPluggingWithoutRestart(t *testing.T) {
	ctx := context.Background()
	eventually(t, "the first CA", func() bool { return bundle() != "" })
	first := holder.Current()

	// Rotation, step one: the new root joins the bundle in root-cert.pem.
	var s corev1.Secret
	key := client.ObjectKey{Namespace: controlPlane, Name: defaults.SelfSignedCASecret}
	if err := k8s.Get(ctx, key, &s); err != nil {
		t.Fatal(err)
	}
	_, newRoot := pluggedData(t)
	s.Data[defaults.RootCertKey] = newRoot
	if err := k8s.Update(ctx, &s); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the bundle to hold both roots", func() bool { return strings.Count(bundle(), "BEGIN CERTIFICATE") == 2 })
	if !holder.Current().SigningCert().Equal(first.SigningCert()) {
		t.Error("adding a root changed the signing certificate")
	}
	eventually(t, "every namespace to get the rotated bundle", func() bool {
		return rootCert("existing") == bundle() && strings.Contains(rootCert("existing"), strings.TrimSpace(string(newRoot)))
	})

	// A broken cacerts keeps the last good CA, counts and reports it.
	before := loadErrors(t)
	bad, _ := pluggedData(t)
	bad[defaults.CACertKey] = []byte("junk")
	plugged := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: controlPlane, Name: defaults.PluggedCASecret}, Data: bad}
	if err := k8s.Create(ctx, plugged); err != nil {
		t.Fatal(err)
	}
	eventually(t, "sailplane_ca_load_errors_total to grow", func() bool { return loadErrors(t) > before })
	if !strings.Contains(bundle(), strings.TrimSpace(string(newRoot))) {
		t.Error("the last good CA was dropped for a broken cacerts")
	}
	eventually(t, "a Warning event on cacerts", func() bool { return hasWarning(ctx, "Secret sailplane-system/cacerts: ca-cert.pem: not PEM") })

	// Fixing cacerts switches to the plugged CA, and the bundle follows.
	good, pluggedRoot := pluggedData(t)
	plugged.Data = good
	if err := k8s.Update(ctx, plugged); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the plugged CA", func() bool { return bundle() == string(pluggedRoot) })
	eventually(t, "namespaces to get the plugged root", func() bool { return rootCert("existing") == string(pluggedRoot) })

	// Removing cacerts goes back to istio-ca-secret.
	if err := k8s.Delete(ctx, plugged); err != nil {
		t.Fatal(err)
	}
	eventually(t, "istio-ca-secret again", func() bool { return holder.Current().SigningCert().Equal(first.SigningCert()) })
}

func loadErrors(t *testing.T) float64 {
	t.Helper()
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "sailplane_ca_load_errors_total" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("metric sailplane_ca_load_errors_total is not registered")
	return 0
}

func hasWarning(ctx context.Context, note string) bool {
	var list eventsv1.EventList
	if err := k8s.List(ctx, &list, client.InNamespace(controlPlane)); err != nil {
		return false
	}
	for _, e := range list.Items {
		if e.Type == corev1.EventTypeWarning && e.Regarding.Name == defaults.PluggedCASecret && strings.Contains(e.Note, note) {
			return true
		}
	}
	return false
}
