package grpcjs

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
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
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sailplane/sailplane/internal/manager"
	"github.com/sailplane/sailplane/test/envtestutil"
)

const (
	backendPort    = 50051
	monitoringAddr = "127.0.0.1:15014"
)

var k8s client.Client

// debugToken reads the control plane's debug endpoints, as sailctl does.
var debugToken string

// backend answers UnaryCall with its version as server id. Metadata
// "x-sleep-ms" delays the answer; a flaky backend fails every other call
// with UNAVAILABLE.
type backend struct {
	testgrpc.UnimplementedTestServiceServer
	version string
	flaky   bool
	calls   atomic.Int64
}

func (b *backend) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	n := b.calls.Add(1)
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("x-sleep-ms")) > 0 {
		ms, _ := strconv.Atoi(md.Get("x-sleep-ms")[0])
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if b.flaky && n%2 == 1 {
		return nil, status.Error(codes.Unavailable, "flaky backend")
	}
	return &testgrpc.SimpleResponse{ServerId: b.version}, nil
}

// startWorld runs the API server, the control plane and the backends, and
// registers the backends as service reviews in the test's namespace.
func startWorld() (func(), error) {
	env, cfg, err := envtestutil.Start()
	if err != nil {
		return nil, err
	}
	scheme, _ := manager.NewScheme()
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	ctx := context.Background()
	// DebugToken creates the namespace, which the Service needs first.
	if debugToken, err = envtestutil.DebugToken(ctx, cfg, namespace); err != nil {
		return nil, err
	}
	var servers []*grpc.Server
	for v, ip := range backendIPs {
		lis, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(backendPort)))
		if err != nil {
			return nil, err
		}
		s := grpc.NewServer()
		testgrpc.RegisterTestServiceServer(s, &backend{version: v, flaky: v == "v3"})
		go func() { _ = s.Serve(lis) }()
		servers = append(servers, s)
	}
	if err := registerReviews(ctx); err != nil {
		return nil, err
	}
	opts := manager.DefaultOptions()
	opts.XDSAddress, opts.MonitoringAddress, opts.WebhookAddress, opts.Namespace = xdsAddr, monitoringAddr, "", namespace
	// The client uses the plaintext port; the authenticated one is off.
	opts.XDSSecureAddress = ""
	mgr, err := manager.New(cfg, opts, logr.Discard())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() { _ = mgr.Start(ctx) }()
	return func() {
		cancel()
		for _, s := range servers {
			s.Stop()
		}
		_ = env.Stop()
	}, nil
}

func registerReviews(ctx context.Context) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "reviews", Namespace: namespace},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "reviews"},
			Ports: []corev1.ServicePort{{Name: "grpc", Port: 9080, TargetPort: intstr.FromInt32(backendPort)}}},
	}
	if err := k8s.Create(ctx, svc); err != nil {
		return err
	}
	for v, ip := range backendIPs {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "reviews-" + v, Namespace: namespace, Labels: map[string]string{"app": "reviews", "version": v}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "reviews"}}},
		}
		if err := k8s.Create(ctx, p); err != nil {
			return err
		}
		p.Status.PodIP, p.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
		if err := k8s.Status().Update(ctx, p); err != nil {
			return fmt.Errorf("pod %s status: %w", p.Name, err)
		}
	}
	return k8s.Create(ctx, reviewsSlice("v1", "v2"))
}

func reviewsSlice(versions ...string) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "reviews-1", Namespace: namespace, Labels: map[string]string{discoveryv1.LabelServiceName: "reviews"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("grpc"), Port: ptr.To[int32](backendPort)}},
	}
	for _, v := range versions {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{backendIPs[v]},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: "reviews-" + v, Namespace: namespace},
		})
	}
	return es
}
