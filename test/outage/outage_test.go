// Package outage stops the real kube-apiserver under a running control
// plane and starts it again: sailplane must keep serving its last
// configuration, report the broken watches on /readyz after the grace
// period, and pick up changes promptly once the API server is back.
package outage

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/envtestbin"
	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/test/envtestutil"
)

const (
	// outage is how long the API server stays down, as in the report that
	// found the slow recovery.
	outage = 20 * time.Second
	grace  = 2 * time.Second
	// recovery bounds how long a change made after the API server's return
	// may take to reach the informers and a proxy: normally well under a
	// second; client-go's reflector backoff alone made it 10–50 s.
	recovery = 10 * time.Second
)

func TestServesThroughAndRecoversFromAPIServerOutage(t *testing.T) {
	root, err := envtestbin.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	env, err := envtestbin.Environment(filepath.Join(root, "config", "crd", "bases"))
	if err != nil {
		t.Fatal(err)
	}
	apiServer := env.ControlPlane.GetAPIServer()
	certDir := t.TempDir()
	apiServer.CertDir = certDir // kept across the restart: same serving certificate, same clients
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme, _ := manager.NewScheme()
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}

	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.MonitoringAddress, opts.WebhookAddress = envtestutil.FreeAddr(t), envtestutil.FreeAddr(t), ""
	opts.Namespace, opts.APIOutageGrace = "default", grace
	opts.LeaderElect = true // as deployed (config/manager)
	mgr, stopped := startManager(t, cfg, opts)
	readyz, healthz := "http://"+opts.MonitoringAddress+"/readyz", "http://"+opts.MonitoringAddress+"/healthz"
	lateNode := sidecar(t, k8s, "late", "10.1.0.10") // connects during the outage

	create(t, k8s, serviceEntry("default", "before"))
	proxy := dialCDS(t, opts.XDSAddress, sidecar(t, k8s, "client", "10.1.0.9"))
	version := proxy.waitForCluster(t, cluster("before"), 30*time.Second)
	waitForProbe(t, readyz, http.StatusOK, "ok", 30*time.Second)

	crash(t, certDir)
	down := time.Now()
	t.Log("kube-apiserver killed")
	waitForProbe(t, readyz, http.StatusInternalServerError, "[-]api-server-watches failed", grace+15*time.Second)
	waitForProbe(t, healthz, http.StatusOK, "ok", time.Second) // not a reason to restart the process
	// A proxy connecting mid-outage gets the last configuration, same version.
	late := dialCDS(t, opts.XDSAddress, lateNode)
	if got := late.waitForCluster(t, cluster("before"), 10*time.Second); got != version {
		t.Errorf("a proxy connecting during the outage got version %s, want the last one, %s", got, version)
	}
	time.Sleep(time.Until(down.Add(outage)))
	// Longer than the lease's renew deadline: a leader must not exit.
	select {
	case err := <-stopped:
		t.Fatalf("the control plane stopped during the outage: %v", err)
	default:
	}

	if err := apiServer.Start(); err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
	t.Logf("kube-apiserver back after %s", time.Since(down).Round(time.Millisecond))

	// A change of every watched kind made right after the return must reach
	// the informers (each kind has its own, backing off on its own) and the
	// ServiceEntry a proxy, promptly.
	objs := afterOutageObjects()
	for _, o := range objs {
		create(t, k8s, o)
	}
	changed := time.Now()
	for _, o := range objs {
		waitForCache(t, mgr, o, time.Until(changed.Add(recovery)))
	}
	proxy.waitForCluster(t, cluster("after"), time.Until(changed.Add(recovery)))
	t.Logf("changes after the outage seen within %s", time.Since(changed).Round(time.Millisecond))
	waitForProbe(t, readyz, http.StatusOK, "ok", recovery)
	// The lease expired during the outage; this replica takes it again and
	// writes the status of what changed meanwhile.
	waitForAccepted(t, k8s, client.ObjectKey{Namespace: ns, Name: "after"}, leaseWait)
}

// leaseWait bounds re-election after the outage: the lease's 15 s expiry
// plus a few retry periods.
const leaseWait = 30 * time.Second

func waitForAccepted(t *testing.T, c client.Client, key client.ObjectKey, timeout time.Duration) {
	t.Helper()
	var last []metav1.Condition
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		vs := &networkingv1.VirtualService{}
		if err := c.Get(context.Background(), key, vs); err != nil {
			continue
		}
		last = vs.Status.Conditions
		for _, cond := range last {
			if cond.Type == "Accepted" && cond.ObservedGeneration == vs.Generation {
				return
			}
		}
	}
	t.Fatalf("VirtualService %s has no Accepted condition %s after the outage (conditions %+v): the status writer did not resume", key, timeout, last)
}

// startManager runs the control plane; the channel reports its end.
func startManager(t *testing.T, cfg *rest.Config, opts manager.Options) (ctrlmanager.Manager, <-chan error) {
	t.Helper()
	mgr, err := manager.New(cfg, opts, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stopped := make(chan error, 1)
	go func() {
		err := mgr.Start(ctx)
		stopped <- err
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("manager did not stop")
		}
	})
	return mgr, stopped
}

const ns = "after-outage"

func afterOutageObjects() []client.Object {
	meta := metav1.ObjectMeta{Name: "after", Namespace: ns}
	return []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}},
		&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "after-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "after"}},
			AddressType: discoveryv1.AddressTypeIPv4},
		&corev1.Pod{ObjectMeta: meta, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}},
		&corev1.Secret{ObjectMeta: meta},
		&networkingv1.Gateway{ObjectMeta: meta, Spec: networkingv1.GatewaySpec{Selector: map[string]string{"istio": "ingressgateway"},
			Servers: []networkingv1.Server{{Port: networkingv1.Port{Number: 80, Name: "http", Protocol: "HTTP"}, Hosts: []string{"*"}}}}},
		&networkingv1.VirtualService{ObjectMeta: meta, Spec: networkingv1.VirtualServiceSpec{Hosts: []string{"after"},
			HTTP: []networkingv1.HTTPRoute{{Route: []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: "after"}}}}}}},
		&networkingv1.DestinationRule{ObjectMeta: meta, Spec: networkingv1.DestinationRuleSpec{Host: "after"}},
		serviceEntry(ns, "after"),
	}
}

func serviceEntry(namespace, name string) *networkingv1.ServiceEntry {
	return &networkingv1.ServiceEntry{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: networkingv1.ServiceEntrySpec{Hosts: []string{name + ".example.com"}, Location: "MESH_EXTERNAL", Resolution: "DNS",
			Ports: []networkingv1.ServicePort{{Number: 80, Name: "http", Protocol: "HTTP"}}},
	}
}

// sidecar creates the pod a proxy stands for (its IP set, as the kubelet
// would) and returns the proxy's node id.
func sidecar(t *testing.T, c client.Client, name, ip string) string {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": name}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
	}
	create(t, c, p)
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(p), p); err != nil {
		t.Fatal(err)
	}
	p.Status.PodIP, p.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	if err := c.Status().Update(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return names.NodeID(names.Node{Type: names.Sidecar, IP: ip, Pod: name, Namespace: "default", Domain: "cluster.local"})
}

func cluster(name string) string { return names.OutboundCluster(80, "", name+".example.com") }

// create retries while the API server is still coming up.
func create(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err = c.Create(context.Background(), obj.DeepCopyObject().(client.Object)); err == nil {
			return
		}
	}
	t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
}

func waitForCache(t *testing.T, mgr ctrlmanager.Manager, obj client.Object, timeout time.Duration) {
	t.Helper()
	key := client.ObjectKeyFromObject(obj)
	deadline := time.Now().Add(timeout)
	for {
		got := obj.DeepCopyObject().(client.Object)
		err := mgr.GetCache().Get(context.Background(), key, got)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%T %s not in the informer cache %s after the change: %v", obj, key, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitForProbe(t *testing.T, url string, code int, body string, timeout time.Duration) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(url + "?verbose")
		if err != nil {
			last = err.Error()
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = fmt.Sprintf("%d %s", resp.StatusCode, b)
		if resp.StatusCode == code && strings.Contains(string(b), body) {
			return
		}
	}
	t.Fatalf("%s: want %d with %q within %s; last: %s", url, code, body, timeout, last)
}

func testLogger() logr.Logger {
	if os.Getenv("SAILPLANE_TEST_LOG") == "" {
		return logr.Discard()
	}
	return zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr))
}
