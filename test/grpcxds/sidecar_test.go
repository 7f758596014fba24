package grpcxds

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/test/proxyless"
)

// addDetails registers a second service, details, served by the v1
// backend.
func addDetails(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "details", Namespace: namespace},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "reviews", "version": "v1"},
			Ports: []corev1.ServicePort{{Name: "grpc", Port: proxyless.ServicePort, TargetPort: intstr.FromInt32(proxyless.BackendPort)}}},
	}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "details-1", Namespace: namespace, Labels: map[string]string{discoveryv1.LabelServiceName: "details"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("grpc"), Port: ptr.To[int32](proxyless.BackendPort)}},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{world.BackendIP("v1")},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: "reviews-v1", Namespace: namespace},
		}},
	}
	for _, o := range []client.Object{svc, es} {
		if err := world.K8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = world.K8s.Delete(context.Background(), o) })
	}
}

// callOnce dials target on a channel of its own and makes one call.
func callOnce(t *testing.T, target string) codes.Code {
	t.Helper()
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = testgrpc.NewTestServiceClient(conn).UnaryCall(ctx, &testgrpc.SimpleRequest{})
	return status.Code(err)
}

// A real grpc-go client under a Sidecar that lists only reviews: details,
// which it called before, is out of its configuration (a new channel to it
// fails), and its channel to reviews keeps answering.
func TestProxylessUnderSidecar(t *testing.T) {
	addDetails(t)
	c := dial(t)
	world.Eventually(t, "calls to details and reviews succeed", func() error {
		if code := callOnce(t, "xds:///details:9080"); code != codes.OK {
			return fmt.Errorf("details: %s", code)
		}
		if r := call(c); r.code != codes.OK {
			return fmt.Errorf("reviews: %s", r.code)
		}
		return nil
	})
	sc := &networkingv1.Sidecar{}
	sc.Name, sc.Namespace = "default", namespace
	t.Cleanup(func() { _ = world.K8s.Delete(context.Background(), sc) })
	world.Apply(t, sc, `{egress: [{hosts: ["./reviews.`+namespace+`.svc.cluster.local"]}], outboundTrafficPolicy: {mode: REGISTRY_ONLY}}`, &sc.Spec)
	world.Eventually(t, "details is out of the client's reach", func() error {
		if code := callOnce(t, "xds:///details:9080"); code == codes.OK {
			return fmt.Errorf("a call to details still succeeds")
		}
		return nil
	})
	if got := tally(c, 20); got["code:"+codes.Unavailable.String()] != 0 || len(got) == 0 {
		t.Errorf("calls to reviews under the Sidecar: %v, want every one answered", got)
	}
}
