package trust

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/test/envtestutil"
)

func ensureNamespace(ctx context.Context, name string) error {
	err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// workload is a pod of a service account, as a proxy would run in.
type workload struct {
	ns, sa, pod, ip string
	uid             string
}

// nodeID is the sidecar node id the workload's proxy announces.
func (w workload) nodeID() string { return w.node(names.Sidecar) }

func (w workload) node(t names.ProxyType) string {
	return names.NodeID(names.Node{Type: t, IP: w.ip, Pod: w.pod, Namespace: w.ns, Domain: defaults.DomainSuffix})
}

// makeWorkload creates the namespace, service account and a pod running
// as it, with its IP in the status (there is no kubelet: the pod stays
// Pending, which the API server still binds tokens to).
func makeWorkload(t *testing.T, ns, sa, pod, ip string, labels map[string]string) workload {
	t.Helper()
	ctx := context.Background()
	if err := ensureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	account := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: sa}}
	if err := k8s.Create(ctx, account); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: pod, Labels: labels},
		Spec: corev1.PodSpec{
			ServiceAccountName: sa,
			Containers:         []corev1.Container{{Name: "app", Image: "example.com/app"}},
		},
	}
	if err := k8s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Status.PodIP = ip
	p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	p.Status.Phase = corev1.PodRunning
	if err := k8s.Status().Update(ctx, p); err != nil {
		t.Fatal(err)
	}
	return workload{ns: ns, sa: sa, pod: pod, ip: ip, uid: string(p.UID)}
}

// boundToken asks the API server for a token of the workload's service
// account bound to its pod, with the given audience.
func boundToken(t *testing.T, w workload, audience string) string {
	t.Helper()
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences:         []string{audience},
		ExpirationSeconds: ptr.To[int64](3600),
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: w.pod, UID: k8sUID(w.uid)},
	}}
	out, err := clientset.CoreV1().ServiceAccounts(w.ns).CreateToken(context.Background(), w.sa, req, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out.Status.Token
}

// meshRoots reads the trust bundle the control plane publishes in the
// namespace, waiting for it to appear.
func meshRoots(t *testing.T, ns string) (*x509.CertPool, []byte) {
	t.Helper()
	var cm corev1.ConfigMap
	envtestutil.WaitFor(t, 60*time.Second, "ConfigMap "+defaults.RootCertConfigMap+" in "+ns, func() bool {
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: defaults.RootCertConfigMap}, &cm)
		return err == nil && cm.Data[defaults.RootCertKey] != ""
	})
	pem := []byte(cm.Data[defaults.RootCertKey])
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("ConfigMap %s/%s holds no certificate", ns, defaults.RootCertConfigMap)
	}
	return pool, pem
}

// proxyTLS is what an injected proxy's bootstrap sets up: the mesh root,
// and the control plane's Service name for the server's SAN.
func proxyTLS(roots *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: roots, ServerName: defaults.ControlPlaneService + "." + controlNS + ".svc", MinVersion: tls.VersionTLS12}
}

func serviceAccountUID(t *testing.T, w workload) string {
	t.Helper()
	var sa corev1.ServiceAccount
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: w.ns, Name: w.sa}, &sa); err != nil {
		t.Fatal(err)
	}
	return string(sa.UID)
}
