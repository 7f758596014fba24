package bench

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/inject"
)

// NamespaceObject is a mesh namespace; injection is not asked for, so the
// mesh's pods never reach the webhook (they are created injected).
func NamespaceObject(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// Object is the Kubernetes Service.
func (s *Service) Object() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace, Labels: map[string]string{"app": s.Name}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": s.Name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: HTTPPort, TargetPort: intstr.FromInt32(HTTPPort)}},
		},
	}
}

// ServiceAccount is the service's own ServiceAccount, which its pods run
// as: one identity per service, as Istio's samples deploy them.
func (s *Service) ServiceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace}}
}

// Sidecar scopes the service's workloads to the services they call;
// nil when the mesh is not scoped.
func (s *Service) Sidecar() *networkingv1.Sidecar {
	if len(s.Calls) == 0 {
		return nil
	}
	sc := &networkingv1.Sidecar{ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace}}
	sc.Spec.WorkloadSelector = &networkingv1.SidecarWorkloadSelector{Labels: map[string]string{"app": s.Name}}
	hosts := make([]string, len(s.Calls))
	for i, c := range s.Calls {
		hosts[i] = c.Namespace + "/" + c.Host()
	}
	sc.Spec.Egress = []networkingv1.IstioEgressListener{{Hosts: hosts}}
	return sc
}

// Labels are the pod's labels: one group of identical proxies per
// Deployment, as replicas share their labels.
func (p *Pod) Labels() map[string]string {
	return map[string]string{"app": p.Service.Name, "version": p.Version}
}

// meshInjection is the control plane's webhook settings (StartControlPlane
// registers the webhook with them) and what the mesh's pods are created
// injected with, so both kinds of pod look alike.
var meshInjection = inject.DefaultSettings().Complete(controlPlaneNamespace)

// Object is the pod as created (its IP is set through the status
// subresource afterwards, as kubelet would), injected as sailctl
// kube-inject injects it: a simulated proxy speaks for every mesh pod, so
// the pod carries the sidecar a real one would. Without it the control
// plane saw no meshed endpoint: clusters verified no identity, endpoints
// had no tlsMode, and the work and bytes of those went unmeasured.
func (p *Pod) Object() *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels()},
		Spec: corev1.PodSpec{ServiceAccountName: p.Service.Name, Containers: []corev1.Container{{
			Name: "app", Image: "app:bench",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: HTTPPort}},
		}}},
	}
	r := inject.Inject(pod, inject.Source{Namespace: inject.Namespace{Name: p.Namespace}, Manual: true}, meshInjection)
	if !r.Injected {
		panic(fmt.Sprintf("bench pod %s/%s was not injected: %s", p.Namespace, p.Name, r.Status))
	}
	return r.Pod
}

// WithStatus sets the pod's running status and IP on obj.
func (p *Pod) WithStatus(obj *corev1.Pod) *corev1.Pod {
	obj.Status.Phase = corev1.PodRunning
	obj.Status.PodIP = p.IP
	obj.Status.PodIPs = []corev1.PodIP{{IP: p.IP}}
	return obj
}

// SliceName is the service's one EndpointSlice.
func (s *Service) SliceName() string { return s.Name + "-1" }

// Slice is the service's EndpointSlice listing its pods, plus extra
// endpoints (addresses without a pod, as the endpoint-change test adds).
func (s *Service) Slice(extra ...string) *discoveryv1.EndpointSlice {
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: s.SliceName(), Namespace: s.Namespace,
			Labels: map[string]string{discoveryv1.LabelServiceName: s.Name},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](HTTPPort)}},
	}
	for _, p := range s.Pods {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{p.IP},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: p.Name, Namespace: p.Namespace},
		})
	}
	for _, ip := range extra {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{
			Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		})
	}
	return es
}

// DestinationRule defines subsets v1 and v2 with a connection pool, as
// canary setups do.
func (s *Service) DestinationRule() *networkingv1.DestinationRule {
	return &networkingv1.DestinationRule{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace},
		Spec: networkingv1.DestinationRuleSpec{
			Host: s.Name,
			TrafficPolicy: &networkingv1.TrafficPolicy{ConnectionPool: &networkingv1.ConnectionPoolSettings{
				HTTP: &networkingv1.HTTPSettings{HTTP1MaxPendingRequests: 1024, MaxRequestsPerConnection: 100},
			}},
			Subsets: []networkingv1.Subset{
				{Name: "v1", Labels: map[string]string{"version": "v1"}},
				{Name: "v2", Labels: map[string]string{"version": "v2"}},
			},
		},
	}
}

// VirtualService splits traffic between v1 and v2 by s.Weights. routeName
// names the weighted route; the change test sets a fresh one so proxies
// can be seen to have the new version.
func (s *Service) VirtualService(routeName string) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace},
		Spec:       networkingv1.VirtualServiceSpec{Hosts: []string{s.Name}},
	}
	if s.HeaderRoute {
		vs.Spec.HTTP = append(vs.Spec.HTTP, networkingv1.HTTPRoute{
			Name:    "tester",
			Match:   []networkingv1.HTTPMatchRequest{{Headers: map[string]networkingv1.StringMatch{"end-user": {Exact: ptr.To("tester")}}}},
			Route:   []networkingv1.HTTPRouteDestination{{Destination: networkingv1.Destination{Host: s.Name, Subset: "v2"}}},
			Timeout: timeout("5s"),
			Retries: &networkingv1.HTTPRetry{Attempts: 2, RetryOn: "5xx,connect-failure"},
		})
	}
	vs.Spec.HTTP = append(vs.Spec.HTTP, networkingv1.HTTPRoute{
		Name: routeName,
		Route: []networkingv1.HTTPRouteDestination{
			{Destination: networkingv1.Destination{Host: s.Name, Subset: "v1"}, Weight: s.Weights[0]},
			{Destination: networkingv1.Destination{Host: s.Name, Subset: "v2"}, Weight: s.Weights[1]},
		},
	})
	return vs
}

// InitialRoute is the weighted route's name before any change.
func InitialRoute(s *Service) string { return fmt.Sprintf("%s-split", s.Name) }

func timeout(d string) *networkingv1.Timeout {
	t := networkingv1.Timeout(d)
	return &t
}
