package demo

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
)

// Mesh is the running demo.
type Mesh struct {
	backends []*backend
}

// Start runs the demo servers and registers them in the API server. The
// servers listen on 127.0.0.1, which EndpointSlices may not carry, so the
// service is a MESH_INTERNAL ServiceEntry with static endpoints.
func Start(ctx context.Context, cfg *rest.Config) (*Mesh, error) {
	m := &Mesh{}
	for _, v := range []string{"v1", "v2"} {
		b, err := startBackend(v)
		if err != nil {
			m.Stop()
			return nil, err
		}
		m.backends = append(m.backends, b)
	}
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), networkingv1.AddToScheme(scheme)); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	for _, obj := range m.objects() {
		// As kubectl apply would have created them, so that the hint's
		// kubectl apply patches them without a warning.
		if err := withLastApplied(obj, scheme); err != nil {
			m.Stop()
			return nil, err
		}
		if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			m.Stop()
			return nil, fmt.Errorf("demo: creating %T %s: %w", obj, obj.GetName(), err)
		}
	}
	return m, nil
}

// Stop stops the demo servers.
func (m *Mesh) Stop() {
	for _, b := range m.backends {
		b.srv.Stop()
	}
}

func (m *Mesh) objects() []client.Object {
	meta := metav1.ObjectMeta{Name: "reviews", Namespace: Namespace}
	se := &networkingv1.ServiceEntry{ObjectMeta: meta, Spec: networkingv1.ServiceEntrySpec{
		Hosts: []string{Host}, Location: "MESH_INTERNAL", Resolution: "STATIC",
		Ports: []networkingv1.ServicePort{{Number: Port, Name: "grpc", Protocol: "GRPC"}},
	}}
	dr := &networkingv1.DestinationRule{ObjectMeta: meta, Spec: networkingv1.DestinationRuleSpec{Host: Host}}
	for _, b := range m.backends {
		se.Spec.Endpoints = append(se.Spec.Endpoints, networkingv1.WorkloadEntry{
			Address: "127.0.0.1", Ports: map[string]networkingv1.PortNumber{"grpc": networkingv1.PortNumber(b.port)},
			Labels: map[string]string{"app": "reviews", "version": b.version},
		})
		dr.Spec.Subsets = append(dr.Spec.Subsets, networkingv1.Subset{Name: b.version, Labels: map[string]string{"version": b.version}})
	}
	vs := &networkingv1.VirtualService{ObjectMeta: meta, Spec: networkingv1.VirtualServiceSpec{
		Hosts: []string{Host},
		HTTP: []networkingv1.HTTPRoute{{Route: []networkingv1.HTTPRouteDestination{
			{Destination: networkingv1.Destination{Host: Host, Subset: "v1"}},
		}}},
	}}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}
	return []client.Object{ns, se, dr, vs}
}
