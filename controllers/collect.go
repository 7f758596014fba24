package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
	"github.com/sailplane/sailplane/internal/bundle"
)

// Collect reads every object the mesh depends on into an input bundle,
// from the informer cache (or, for tools, straight from the API server).
//
// The cache's objects are not deep-copied (a copy of every object per
// reconcile was most of its cost): the bundle's items share their maps,
// slices and pointers with the cache, so nothing that reads a bundle may
// modify its objects. The mesh computations do not
// (internal/translate/no_mutation_test.go proves it on every golden case),
// and the console's previews copy before they change. A client that is
// not a cache ignores the option.
func Collect(ctx context.Context, c client.Reader) (*bundle.Bundle, error) {
	b := &bundle.Bundle{}
	var (
		ns  corev1.NamespaceList
		svc corev1.ServiceList
		eps discoveryv1.EndpointSliceList
		pod corev1.PodList
		sec corev1.SecretList
		gw  networkingv1.GatewayList
		vs  networkingv1.VirtualServiceList
		dr  networkingv1.DestinationRuleList
		se  networkingv1.ServiceEntryList
		sc  networkingv1.SidecarList
		pa  securityv1.PeerAuthenticationList
		ra  securityv1.RequestAuthenticationList
		ap  securityv1.AuthorizationPolicyList
		tm  telemetryv1.TelemetryList
		rl  policyv1alpha1.RateLimitPolicyList
	)
	for _, l := range []client.ObjectList{&ns, &svc, &eps, &pod, &sec, &gw, &vs, &dr, &se, &sc, &pa, &ra, &ap, &tm, &rl} {
		if err := c.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing %T: %w", l, err)
		}
	}
	b.Namespaces, b.Services, b.EndpointSlices, b.Pods, b.Secrets = ns.Items, svc.Items, eps.Items, pod.Items, sec.Items
	b.Gateways, b.VirtualServices, b.DestinationRules, b.ServiceEntries = gw.Items, vs.Items, dr.Items, se.Items
	b.PeerAuthentications = pa.Items
	b.RequestAuthentications = ra.Items
	b.AuthorizationPolicies = ap.Items
	b.Sidecars = sc.Items
	b.Telemetries = tm.Items
	b.RateLimitPolicies = rl.Items
	nodes, err := nodeLabels(ctx, c)
	if err != nil {
		return nil, err
	}
	b.Nodes = nodes
	return b, nil
}

// nodeLabels lists the Nodes by their metadata only: their topology
// labels place pods and endpoints in a locality, and nothing else of a
// Node (its status, images, conditions) is worth caching.
func nodeLabels(ctx context.Context, c client.Reader) ([]corev1.Node, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("NodeList"))
	if err := c.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing Nodes: %w", err)
	}
	out := make([]corev1.Node, len(list.Items))
	for i := range list.Items {
		out[i].ObjectMeta = list.Items[i].ObjectMeta
	}
	return out, nil
}

// nodeMetadata is how Nodes are watched: metadata only (see nodeLabels).
func nodeMetadata() *metav1.PartialObjectMetadata {
	n := &metav1.PartialObjectMetadata{}
	n.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Node"))
	return n
}

// watched are the kinds whose changes trigger a rebuild.
func watched() []client.Object {
	return []client.Object{
		&corev1.Namespace{}, &corev1.Service{}, &discoveryv1.EndpointSlice{}, &corev1.Pod{}, &corev1.Secret{},
		&networkingv1.Gateway{}, &networkingv1.VirtualService{}, &networkingv1.DestinationRule{}, &networkingv1.ServiceEntry{},
		&networkingv1.Sidecar{},
		&securityv1.PeerAuthentication{}, &securityv1.RequestAuthentication{}, &securityv1.AuthorizationPolicy{},
		&telemetryv1.Telemetry{},
		&policyv1alpha1.RateLimitPolicy{},
	}
}

// isIstio reports whether obj is one of the Istio kinds sailplane serves
// (networking.istio.io, security.istio.io), whose status it writes itself.
func isIstio(obj client.Object) bool {
	switch obj.(type) {
	case *networkingv1.Gateway, *networkingv1.VirtualService, *networkingv1.DestinationRule, *networkingv1.ServiceEntry,
		*networkingv1.Sidecar,
		*securityv1.PeerAuthentication, *securityv1.RequestAuthentication, *securityv1.AuthorizationPolicy,
		*telemetryv1.Telemetry,
		*policyv1alpha1.RateLimitPolicy:
		return true
	}
	return false
}
