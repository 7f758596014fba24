// Package proxyless is the world the proxyless end-to-end suites
// (test/grpcxds with grpc-go, test/grpcjs with grpc-js-xds) run their
// clients in: an API server (envtest) and the sailplane manager, three
// interop TestService backends (reviews v1, v2 and v3; v3 is flaky), the
// reviews Service, Pods and EndpointSlice that register them, and the
// helpers the tests share to change routing and wait for the client to
// follow.
//
// kube-apiserver refuses EndpointSlice addresses on 127.0.0.0/8, so a
// suite runs inside a network namespace of its own, where the backends get
// addresses of the suite's subnet on the loopback device: TestMain
// re-executes the test binary under `unshare --net` (Reexec) and, inside,
// hands the tests to World.Run. A suite's client and its assertions stay
// in the suite.
package proxyless

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/demo"
	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/test/envtestutil"
)

const (
	// XDSAddr is the control plane's plaintext xDS address in the namespace.
	XDSAddr = "127.0.0.1:15010"
	// MonitoringAddr serves /metrics and the debug endpoints.
	MonitoringAddr = "127.0.0.1:15014"
	// BackendPort is where every backend listens, on its own address.
	BackendPort = 50051
	// ServicePort is the reviews Service's port the clients dial.
	ServicePort = 9080
)

// Versions are the reviews backends; v3 is the flaky one.
var Versions = []string{"v1", "v2", "v3"}

// Config is what differs between the suites' worlds.
type Config struct {
	// Namespace holds the mesh objects and the client's identity; it is
	// created if it does not exist.
	Namespace string
	// Subnet is the first three octets of the namespace's addresses, as
	// "10.99.0": .1 carries the default route, .5 is the client, .11, .12
	// and .13 are backends v1, v2 and v3.
	Subnet string
	// Client is the client's workload name and app label.
	Client string
	// Endpoints are the versions the reviews EndpointSlice starts with.
	Endpoints []string
	// Within and Every are Eventually's deadline and polling interval.
	Within, Every time.Duration
}

// ClientIP is the address the client's node id carries.
func (c Config) ClientIP() string { return c.Subnet + ".5" }

// BackendIP is the address of reviews version v ("v1", "v2", "v3").
func (c Config) BackendIP(v string) string {
	n, _ := strconv.Atoi(strings.TrimPrefix(v, "v"))
	return c.Subnet + "." + strconv.Itoa(10+n)
}

// NodeID is the client's node id, in Istio's proxyless shape.
func (c Config) NodeID() string {
	return fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.cluster.local", c.ClientIP(), c.Client, c.Namespace, c.Namespace)
}

// ProxyID is how the debug endpoints name the client (name.namespace).
func (c Config) ProxyID() string { return c.Client + "." + c.Namespace }

// Bootstrap is the xDS bootstrap sailplane generates for proxyless
// clients (demo.Bootstrap: plaintext ADS, Istio's node shape, and the
// locality grpc-js-xds insists on).
func (c Config) Bootstrap() string {
	return demo.Bootstrap{
		XDSAddress: XDSAddr,
		NodeID:     c.NodeID(),
		Namespace:  c.Namespace,
		Labels:     map[string]string{"app": c.Client},
	}.JSON()
}

// Reexec runs the test binary again, with its arguments, in a fresh
// network namespace (`unshare --net`, which needs root), with inNetns=1
// and env added to the environment, and returns its exit code for
// TestMain to exit with. The child knows it is inside by inNetns.
func Reexec(inNetns string, env ...string) int {
	if _, err := exec.LookPath("unshare"); err != nil {
		fmt.Fprintln(os.Stderr, "the proxyless gRPC tests need unshare (util-linux) and root:", err)
		return 1
	}
	cmd := exec.Command("unshare", append([]string{"--net", "--", os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(append(os.Environ(), inNetns+"=1"), env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "re-executing in a network namespace:", err)
		return 1
	}
	return 0
}

// SetupNetns brings up loopback with the test addresses and a default
// route over it (kube-apiserver needs one to pick an address to advertise).
func (c Config) SetupNetns() error {
	cmds := [][]string{{"ip", "link", "set", "lo", "up"}}
	ips := []string{c.Subnet + ".1", c.ClientIP()}
	for _, v := range Versions {
		ips = append(ips, c.BackendIP(v))
	}
	for _, ip := range ips {
		cmds = append(cmds, []string{"ip", "addr", "add", ip + "/32", "dev", "lo"})
	}
	cmds = append(cmds, []string{"ip", "route", "add", "default", "dev", "lo"})
	for _, c := range cmds {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%v: %v: %s", c, err, out)
		}
	}
	return nil
}

// Backend is the interop TestService of one reviews version: UnaryCall
// answers with the version as server id. Metadata "x-sleep-ms" delays the
// answer; a flaky backend fails every other call with UNAVAILABLE.
type Backend struct {
	testgrpc.UnimplementedTestServiceServer
	Version string
	Flaky   bool
	calls   atomic.Int64
}

// UnaryCall implements testgrpc.TestServiceServer.
func (b *Backend) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	n := b.calls.Add(1)
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("x-sleep-ms")) > 0 {
		ms, _ := strconv.Atoi(md.Get("x-sleep-ms")[0])
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if b.Flaky && n%2 == 1 {
		return nil, status.Error(codes.Unavailable, "flaky backend")
	}
	return &testgrpc.SimpleResponse{ServerId: b.Version}, nil
}

// World is a running world; K8s and DebugToken are set once Run has
// started it.
type World struct {
	Config
	// K8s reads and writes the API server, with the manager's scheme.
	K8s client.Client
	// DebugToken reads the control plane's debug endpoints, as sailctl
	// does.
	DebugToken string
}

// Run is TestMain's body inside the network namespace: it sets the
// namespace up, starts the world, runs the tests and stops the world. It
// returns the exit code.
func (w *World) Run(m *testing.M) int {
	if err := w.SetupNetns(); err != nil {
		fmt.Fprintln(os.Stderr, "network namespace setup:", err)
		return 1
	}
	stop, err := w.start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	return m.Run()
}

// start runs the API server, the backends and the control plane, and
// registers the backends as service reviews in the world's namespace.
func (w *World) start() (func(), error) {
	env, cfg, err := envtestutil.Start()
	if err != nil {
		return nil, err
	}
	scheme, _ := manager.NewScheme()
	if w.K8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	ctx := context.Background()
	// DebugToken creates the namespace, which the Service needs first.
	if w.DebugToken, err = envtestutil.DebugToken(ctx, cfg, w.Namespace); err != nil {
		return nil, err
	}
	var servers []*grpc.Server
	stopServers := func() {
		for _, s := range servers {
			s.Stop()
		}
	}
	for _, v := range Versions {
		lis, err := net.Listen("tcp", net.JoinHostPort(w.BackendIP(v), strconv.Itoa(BackendPort)))
		if err != nil {
			stopServers()
			return nil, err
		}
		s := grpc.NewServer()
		testgrpc.RegisterTestServiceServer(s, &Backend{Version: v, Flaky: v == "v3"})
		go func() { _ = s.Serve(lis) }()
		servers = append(servers, s)
	}
	if err := w.registerReviews(ctx); err != nil {
		stopServers()
		return nil, err
	}
	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.MonitoringAddress, opts.WebhookAddress, opts.Namespace = XDSAddr, MonitoringAddr, "", w.Namespace
	// The clients use the plaintext port; the authenticated one is off so
	// that it cannot collide with another test package's.
	opts.XDSSecureAddress = ""
	// Load reports every second, so the metrics tests wait little.
	opts.LoadReportInterval = time.Second
	mgr, err := manager.New(cfg, opts, logr.Discard())
	if err != nil {
		stopServers()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() { _ = mgr.Start(ctx) }()
	return func() {
		cancel()
		stopServers()
		_ = env.Stop()
	}, nil
}

func (w *World) registerReviews(ctx context.Context) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "reviews", Namespace: w.Namespace},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "reviews"},
			Ports: []corev1.ServicePort{{Name: "grpc", Port: ServicePort, TargetPort: intstr.FromInt32(BackendPort)}}},
	}
	if err := w.K8s.Create(ctx, svc); err != nil {
		return err
	}
	for _, v := range Versions {
		ip := w.BackendIP(v)
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "reviews-" + v, Namespace: w.Namespace, Labels: map[string]string{"app": "reviews", "version": v}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "reviews"}}},
		}
		if err := w.K8s.Create(ctx, p); err != nil {
			return err
		}
		p.Status.PodIP, p.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
		if err := w.K8s.Status().Update(ctx, p); err != nil {
			return fmt.Errorf("pod %s status: %w", p.Name, err)
		}
	}
	return w.K8s.Create(ctx, w.ReviewsSlice(w.Endpoints...))
}

// ReviewsSlice is the reviews EndpointSlice with the given versions ready.
func (w *World) ReviewsSlice(versions ...string) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "reviews-1", Namespace: w.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: "reviews"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("grpc"), Port: ptr.To[int32](BackendPort)}},
	}
	for _, v := range versions {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{w.BackendIP(v)},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: "reviews-" + v, Namespace: w.Namespace},
		})
	}
	return es
}

// SetEndpoints makes the given versions the reviews EndpointSlice's
// endpoints, retrying on conflict.
func (w *World) SetEndpoints(t testing.TB, versions ...string) {
	t.Helper()
	es := w.ReviewsSlice(versions...)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := w.ReviewsSlice()
		if err := w.K8s.Get(context.Background(), client.ObjectKeyFromObject(es), cur); err != nil {
			return err
		}
		es.ResourceVersion = cur.ResourceVersion
		return w.K8s.Update(context.Background(), es)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Apply creates obj or updates it, with spec (YAML) decoded into into
// (obj's spec); the status writer bumps resourceVersion concurrently, so
// updates retry on conflict.
func (w *World) Apply(t testing.TB, obj client.Object, spec string, into any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(spec), into); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur := obj.DeepCopyObject().(client.Object)
		if err := w.K8s.Get(ctx, client.ObjectKeyFromObject(obj), cur); err != nil {
			return w.K8s.Create(ctx, obj)
		}
		obj.SetResourceVersion(cur.GetResourceVersion())
		return w.K8s.Update(ctx, obj)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ApplyVS applies the VirtualService reviews with spec.
func (w *World) ApplyVS(t testing.TB, spec string) {
	t.Helper()
	vs := &networkingv1.VirtualService{}
	vs.Name, vs.Namespace = "reviews", w.Namespace
	w.Apply(t, vs, spec, &vs.Spec)
}

// Eventually retries check every Every until it passes, and fails the
// test with the control plane's view of the client after Within:
// configuration reaches the client asynchronously.
func (w *World) Eventually(t testing.TB, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(w.Within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v\ncontrol plane's view of the client:\n%s", what, err, w.DebugState())
		}
		time.Sleep(w.Every)
	}
}

// DebugState is what the control plane says about the client
// (proxy-status and its config dump), for failure messages.
func (w *World) DebugState() string {
	var out strings.Builder
	for _, path := range []string{"/debug/proxy-status", "/debug/config_dump?proxy=" + w.ProxyID()} {
		req, err := http.NewRequest(http.MethodGet, "http://"+MonitoringAddr+path, nil)
		if err != nil {
			fmt.Fprintf(&out, "%s: %v\n", path, err)
			continue
		}
		req.Header.Set("Authorization", "Bearer "+w.DebugToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintf(&out, "%s: %v\n", path, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(b) > 6000 {
			b = append(b[:6000], "..."...)
		}
		fmt.Fprintf(&out, "%s:\n%s\n", path, b)
	}
	return out.String()
}

// Within says whether got is in lo..hi, naming it in the error.
func Within(name string, got, lo, hi int) error {
	if got < lo || got > hi {
		return fmt.Errorf("%s: %d, want %d..%d", name, got, lo, hi)
	}
	return nil
}
