// Package bundle is the input of the translation pipeline: every Kubernetes
// and Istio object the model is built from, as plain values. The
// controllers fill one from the informer cache; sailctl fills one from YAML
// files. Nothing in here knows where the objects came from.
package bundle

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	policyv1alpha1 "github.com/sailplane/sailplane/api/policy/v1alpha1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
	telemetryv1 "github.com/sailplane/sailplane/api/telemetry/v1"
	"github.com/sailplane/sailplane/internal/meshconfig"
)

// Bundle holds the objects of one mesh.
type Bundle struct {
	Namespaces     []corev1.Namespace
	Services       []corev1.Service
	EndpointSlices []discoveryv1.EndpointSlice
	Pods           []corev1.Pod
	// Nodes give pods and endpoints their locality (topology labels).
	Nodes            []corev1.Node
	Secrets          []corev1.Secret
	Deployments      []appsv1.Deployment
	Gateways         []networkingv1.Gateway
	VirtualServices  []networkingv1.VirtualService
	DestinationRules []networkingv1.DestinationRule
	ServiceEntries   []networkingv1.ServiceEntry
	// PeerAuthentications decide which workload ports take mutual TLS.
	PeerAuthentications []securityv1.PeerAuthentication
	// RequestAuthentications decide which end-user tokens (JWTs) workloads
	// accept.
	RequestAuthentications []securityv1.RequestAuthentication
	// AuthorizationPolicies decide which requests workloads accept.
	AuthorizationPolicies []securityv1.AuthorizationPolicy
	// Sidecars scope what each workload's sidecar is configured for.
	Sidecars []networkingv1.Sidecar
	// Telemetries decide tracing and access logs per workload.
	Telemetries []telemetryv1.Telemetry
	// RateLimitPolicies limit the requests workloads accept.
	RateLimitPolicies []policyv1alpha1.RateLimitPolicy
	// MeshConfigMaps are the ConfigMaps named "istio" the reader found
	// (any namespace); ReadMeshConfig picks the control plane's.
	MeshConfigMaps []corev1.ConfigMap
	// Mesh is Istio's mesh configuration (ConfigMap istio); nil reads as
	// Istio's defaults.
	Mesh *meshconfig.Config
}

// Unsupported is an object the bundle reader recognised but sailplane does
// not serve (an Istio Sidecar, AuthorizationPolicy, ...). Callers report it;
// it is never dropped silently.
type Unsupported struct {
	Source     string // file and document, e.g. "mesh.yaml#3"
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

func (u Unsupported) String() string {
	return u.Source + ": " + u.Kind + " " + u.Namespace + "/" + u.Name + " (" + u.APIVersion + ") is not served by sailplane"
}
