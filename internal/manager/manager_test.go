package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/internal/localenv"
)

const testNamespace = "sailplane-system"

// TestManagerServesMonitoring runs the manager against a real API server
// and checks what a Deployment's probes and Prometheus see on the one
// monitoring port, and that leader election takes its Lease.
func TestManagerServesMonitoring(t *testing.T) {
	log := zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr))
	ctrllog.SetLogger(log)
	env, err := localenv.Start(context.Background(), log, localenv.Options{
		Namespace:      testNamespace,
		KubeconfigPath: filepath.Join(t.TempDir(), "kubeconfig"),
	})
	if err != nil {
		t.Fatalf("starting the API server: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the API server: %v", err)
		}
	})

	addr := freeAddress(t)
	mgr, err := New(env.Config(), Options{
		XDSAddress:        "127.0.0.1:0",
		MonitoringAddress: addr,
		Namespace:         testNamespace,
		LeaderElect:       true,
	}, log)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// A readiness check registered by later code must gate /readyz.
	var gateOpen atomic.Bool
	err = mgr.AddReadyzCheck("test-gate", func(*http.Request) error {
		if !gateOpen.Load() {
			return errors.New("gate closed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()

	base := "http://" + addr
	waitFor(t, base+"/healthz", http.StatusOK, "ok")
	waitFor(t, base+"/healthz/ping", http.StatusOK, "ok")
	waitFor(t, base+"/readyz", http.StatusInternalServerError, "[-]test-gate failed")
	gateOpen.Store(true)
	waitFor(t, base+"/readyz", http.StatusOK, "ok")
	waitFor(t, base+"/readyz/informers-synced", http.StatusOK, "ok")
	waitFor(t, base+"/readyz/api-server-watches", http.StatusOK, "ok")

	<-mgr.Elected()
	waitFor(t, base+"/metrics", http.StatusOK,
		fmt.Sprintf(`leader_election_master_status{name=%q} 1`, DefaultLeaderElectionID))
	checkLease(t, mgr.GetAPIReader(), testNamespace, DefaultLeaderElectionID)
	// Every replica runs the memory returner and counts its returns.
	waitFor(t, base+"/metrics", http.StatusOK, "# TYPE "+MemoryReturnsMetric+" counter")
	checkPodCacheHoldsSkeletons(t, mgr)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("manager stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("manager did not stop within 30s of its context ending")
	}
}

// freeAddress finds a free loopback port. controller-runtime's metrics
// server does not report the port it bound, so "127.0.0.1:0" would leave the
// test unable to reach it; the short window before the manager binds the
// port again is the accepted cost.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// waitFor polls url until it answers wantCode with a body containing
// wantBody: the servers start asynchronously.
func waitFor(t *testing.T, url string, wantCode int, wantBody string) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		code, body, err := fetch(client, url)
		if err == nil && code == wantCode && strings.Contains(body, wantBody) {
			return
		}
		last = fmt.Sprintf("code %d, error %v, body %.500q", code, err, body)
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: want %d with %q; last answer: %s", url, wantCode, wantBody, last)
}

func fetch(client *http.Client, url string) (int, string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// checkLease proves leader election used the configured namespace and ID.
func checkLease(t *testing.T, r client.Reader, namespace, name string) {
	t.Helper()
	var lease coordinationv1.Lease
	if err := r.Get(context.Background(), types.NamespacedName{Namespace: namespace, Name: name}, &lease); err != nil {
		t.Fatalf("Lease %s/%s: %v", namespace, name, err)
	}
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Errorf("Lease %s/%s has no holder", namespace, name)
	}
}

// checkPodCacheHoldsSkeletons creates an injected pod and reads it back
// through the manager's cache, which must hold its skeleton (labels,
// annotations, container names and ports) without the proxy's arguments
// and environment, and through the API, which has them.
func checkPodCacheHoldsSkeletons(t *testing.T, mgr ctrlmanager.Manager) {
	t.Helper()
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "skeleton", Namespace: testNamespace}}
	if err := mgr.GetClient().Create(ctx, sa); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "skeleton", Namespace: testNamespace, Labels: map[string]string{"app": "skeleton"}},
		Spec: corev1.PodSpec{ServiceAccountName: "skeleton", Containers: []corev1.Container{{
			Name: "app", Image: "app", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		}}},
	}
	r := inject.Inject(pod, inject.Source{Manual: true}, inject.DefaultSettings().Complete(testNamespace))
	if !r.Injected {
		t.Fatalf("the test pod was not injected: %s", r.Status)
	}
	if err := mgr.GetClient().Create(ctx, r.Pod); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(r.Pod)
	var cached corev1.Pod
	deadline := time.Now().Add(30 * time.Second)
	for mgr.GetClient().Get(ctx, key, &cached) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the pod never reached the manager's cache")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var full corev1.Pod
	if err := mgr.GetAPIReader().Get(ctx, key, &full); err != nil {
		t.Fatal(err)
	}
	proxy := func(p *corev1.Pod) *corev1.Container {
		for i := range p.Spec.Containers {
			if p.Spec.Containers[i].Name == "istio-proxy" {
				return &p.Spec.Containers[i]
			}
		}
		t.Fatalf("pod %s has no istio-proxy container", p.Name)
		return nil
	}
	if c := proxy(&full); len(c.Args) == 0 || len(c.Env) == 0 {
		t.Fatalf("the API's pod has no proxy arguments or environment to leave out: %+v", c)
	}
	if c := proxy(&cached); len(c.Args) != 0 || len(c.Env) != 0 || len(c.VolumeMounts) != 0 {
		t.Errorf("the cached pod's proxy keeps what the mesh never reads: %d args, %d env, %d mounts", len(c.Args), len(c.Env), len(c.VolumeMounts))
	}
	if len(cached.Spec.Volumes) != 0 || cached.ManagedFields != nil {
		t.Errorf("the cached pod keeps volumes (%d) or managed fields (%d)", len(cached.Spec.Volumes), len(cached.ManagedFields))
	}
	if cached.Labels["app"] != "skeleton" || cached.Annotations["sidecar.istio.io/status"] == "" ||
		cached.UID != full.UID || cached.Spec.ServiceAccountName != "skeleton" ||
		len(cached.Spec.Containers) != len(full.Spec.Containers) || len(cached.Spec.Containers[0].Ports) != 1 {
		t.Errorf("the cached pod lost what the mesh reads: %+v", cached)
	}
}
