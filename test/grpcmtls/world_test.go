package grpcmtls

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/internal/ca"
	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/identity"
	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/internal/names"
	"github.com/sailplane/sailplane/test/envtestutil"
	"github.com/sailplane/sailplane/test/proxyless"
)

const (
	namespace  = "grpcmtls"
	controlNS  = "sailplane-system"
	plainXDS   = "127.0.0.1:15010"
	secureXDS  = "127.0.0.1:15012"
	monitoring = "127.0.0.1:15014"
	// serverPort is where the greeter listens; the Service maps 9080 to it.
	serverPort  = 50051
	servicePort = 9080
)

// The namespace's addresses (test/proxyless puts .1, .5, .11, .12 and .13
// of the subnet on the loopback).
var net4 = proxyless.Config{Subnet: "10.98.0"}

// pod is one gRPC workload of the test: its pod, identity and node.
type pod struct {
	name, serviceAccount, ip string
	meshed                   bool
	// dir holds its certificate files when it has an identity.
	dir string
}

var (
	// greeter is a meshed gRPC server with a certificate (15012).
	greeter = pod{name: "greeter", serviceAccount: "greeter", ip: net4.BackendIP("v1"), meshed: true}
	// legacy is an unmeshed gRPC server without one (15010).
	legacy = pod{name: "legacy", serviceAccount: "legacy", ip: net4.BackendIP("v3")}
	caller = pod{name: "caller", serviceAccount: "caller", ip: net4.ClientIP(), meshed: true}
	// auditor is a second meshed client, of another service account, for
	// the AuthorizationPolicy tests; its address is added to the loopback
	// here (test/proxyless has no slot for it).
	auditor = pod{name: "auditor", serviceAccount: "auditor", ip: net4.Subnet + ".20", meshed: true}
	kiosk   = pod{name: "kiosk", serviceAccount: "kiosk", ip: net4.BackendIP("v2")}
)

func (p pod) nodeID() string {
	return names.NodeID(names.Node{Type: names.Sidecar, IP: p.ip, Pod: p.name, Namespace: namespace, Domain: defaults.DomainSuffix})
}

func (p pod) spiffe() string {
	return identity.Identity{TrustDomain: defaults.TrustDomain, Namespace: namespace, ServiceAccount: p.serviceAccount}.SPIFFE()
}

func (p pod) file(name string) string { return filepath.Join(p.dir, name) }

// bootstrap is the pod's gRPC xDS bootstrap. A pod with certificates
// connects to the authenticated port with them (TLS channel credentials)
// and names them as certificate provider instance "default", which the
// TLS contexts sailplane sends refer to; one without connects to the
// plaintext port. Both name Istio's server listener template.
func (p pod) bootstrap() []byte {
	server := map[string]any{"server_uri": plainXDS, "channel_creds": []any{map[string]any{"type": "insecure"}}, "server_features": []string{"xds_v3"}}
	doc := map[string]any{
		"xds_servers": []any{server},
		"node": map[string]any{
			"id":       p.nodeID(),
			"locality": map[string]string{"region": "", "zone": "", "sub_zone": ""},
			"metadata": map[string]any{"GENERATOR": "grpc", "NAMESPACE": namespace},
		},
		"server_listener_resource_name_template": names.GRPCServerListenerTemplate,
	}
	if p.dir != "" {
		files := map[string]any{
			"certificate_file":    p.file("cert-chain.pem"),
			"private_key_file":    p.file("key.pem"),
			"ca_certificate_file": p.file("root-cert.pem"),
		}
		server["server_uri"] = secureXDS
		server["channel_creds"] = []any{map[string]any{"type": "tls", "config": files}}
		doc["certificate_providers"] = map[string]any{
			names.GRPCCertProviderInstance: map[string]any{"plugin_name": "file_watcher", "config": files},
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return out
}

// testWorld is the running world.
type testWorld struct {
	k8s client.Client
	// debugToken reads the control plane's debug endpoints.
	debugToken string
}

var world *testWorld

// startWorld sets the network namespace up and starts the API server,
// the control plane (both xDS ports), the workloads' Kubernetes objects,
// their certificates and the greeter server.
func startWorld() (*testWorld, func(), error) {
	if err := net4.SetupNetns(); err != nil {
		return nil, nil, fmt.Errorf("network namespace setup: %w", err)
	}
	if out, err := exec.Command("ip", "addr", "add", auditor.ip+"/32", "dev", "lo").CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("adding %s to the loopback: %v: %s", auditor.ip, err, out)
	}
	env, cfg, err := envtestutil.Start()
	if err != nil {
		return nil, nil, err
	}
	stops := []func(){func() { _ = env.Stop() }}
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	fail := func(err error) (*testWorld, func(), error) { stop(); return nil, nil, err }
	scheme, _ := manager.NewScheme()
	w := &testWorld{}
	if w.k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	// DebugToken creates the control plane's namespace.
	if w.debugToken, err = envtestutil.DebugToken(ctx, cfg, controlNS); err != nil {
		return fail(err)
	}
	if err := w.k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return fail(err)
	}
	if err := w.registerWorkloads(ctx); err != nil {
		return fail(err)
	}
	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.XDSSecureAddress, opts.MonitoringAddress, opts.WebhookAddress = plainXDS, secureXDS, monitoring, ""
	opts.Namespace = controlNS
	mgr, err := manager.New(cfg, opts, logr.Discard())
	if err != nil {
		return fail(err)
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = mgr.Start(mctx); close(done) }()
	stops = append(stops, func() { cancel(); <-done })
	dir, err := os.MkdirTemp("", "grpcmtls-")
	if err != nil {
		return fail(err)
	}
	stops = append(stops, func() { _ = os.RemoveAll(dir) })
	mesh, err := w.meshCA(ctx)
	if err != nil {
		return fail(err)
	}
	for _, p := range []*pod{&greeter, &caller, &auditor} {
		if err := p.writeCertificate(mesh, filepath.Join(dir, p.name)); err != nil {
			return fail(err)
		}
	}
	for _, p := range []pod{greeter, legacy} {
		srv, err := startGreeter(p)
		if err != nil {
			return fail(err)
		}
		stops = append(stops, srv.stop)
	}
	return w, stop, nil
}

// meshCA waits for the control plane to create its self-signed CA and
// loads it, as every replica does.
func (w *testWorld) meshCA(ctx context.Context) (*ca.CA, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		var s corev1.Secret
		err := w.k8s.Get(ctx, client.ObjectKey{Namespace: controlNS, Name: defaults.SelfSignedCASecret}, &s)
		if err == nil {
			return ca.FromSecretData(s.Data, false)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("mesh CA secret %s/%s: %w", controlNS, defaults.SelfSignedCASecret, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeCertificate has the mesh CA issue the pod's workload certificate
// and writes it where its bootstrap's certificate provider looks.
func (p *pod) writeCertificate(mesh *ca.CA, dir string) error {
	id := identity.Identity{TrustDomain: defaults.TrustDomain, Namespace: namespace, ServiceAccount: p.serviceAccount}
	kp, err := mesh.IssueWorkload(id, 24*time.Hour, time.Now())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	p.dir = dir
	for name, data := range map[string][]byte{"cert-chain.pem": kp.CertChainPEM, "key.pem": kp.KeyPEM, "root-cert.pem": mesh.TrustBundlePEM()} {
		if err := os.WriteFile(p.file(name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// registerWorkloads creates the pods (greeter, caller and auditor meshed,
// legacy and kiosk not) and a Service with its EndpointSlice for each server.
func (w *testWorld) registerWorkloads(ctx context.Context) error {
	for _, p := range []pod{greeter, legacy, caller, kiosk, auditor} {
		obj := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: namespace, Labels: map[string]string{"app": p.name}},
			Spec:       corev1.PodSpec{ServiceAccountName: p.serviceAccount, Containers: []corev1.Container{{Name: "app", Image: p.name}}},
		}
		if p.meshed {
			// What Istio's injector writes, with the grpc-agent template
			// for proxyless pods.
			obj.Annotations = map[string]string{defaults.IstioSidecarStatusAnnotation: "{}", "inject.istio.io/templates": "grpc-agent"}
		}
		if err := w.k8s.Create(ctx, obj); err != nil {
			return err
		}
		obj.Status.PodIP, obj.Status.PodIPs = p.ip, []corev1.PodIP{{IP: p.ip}}
		if err := w.k8s.Status().Update(ctx, obj); err != nil {
			return fmt.Errorf("pod %s status: %w", p.name, err)
		}
	}
	for _, p := range []pod{greeter, legacy} {
		if err := w.registerServer(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// registerServer makes the pod the one endpoint of a Service of its name.
func (w *testWorld) registerServer(ctx context.Context, p pod) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: namespace},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": p.name},
			Ports: []corev1.ServicePort{{Name: "grpc", Port: servicePort, TargetPort: intstr.FromInt32(serverPort)}}},
	}
	if err := w.k8s.Create(ctx, svc); err != nil {
		return err
	}
	return w.k8s.Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: p.name + "-1", Namespace: namespace, Labels: map[string]string{discoveryv1.LabelServiceName: p.name}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("grpc"), Port: ptr.To[int32](serverPort)}},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{p.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: p.name, Namespace: namespace},
		}},
	})
}

// target is what a client dials to reach server.
func target(server pod) string {
	return "xds:///" + net.JoinHostPort(server.name, strconv.Itoa(servicePort))
}
