// Package model turns an input bundle into the mesh model the xDS
// translation reads: services by hostname with their ports, protocols and
// endpoints; the VirtualServices and DestinationRules that apply to each
// host; and, for every Istio object, whether it was accepted and why not.
//
// Build is pure and deterministic: the same bundle in any order gives the
// same model.
package model

import (
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/types"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	"github.com/sailplane/sailplane/internal/meshconfig"
)

// Model is the mesh as the translation sees it.
type Model struct {
	// Services by hostname (FQDN for Kubernetes services, the host for
	// ServiceEntries); Hostnames lists the keys sorted.
	Services  map[string]*Service
	Hostnames []string
	// VirtualServices in Istio's precedence order: oldest first, then by
	// namespace and name.
	VirtualServices []*VirtualService
	// DestinationRules in precedence order.
	DestinationRules []*DestinationRule
	Gateways         []*networkingv1.Gateway
	// Pods by namespace/name.
	Pods map[types.NamespacedName]*Workload
	// Secrets by namespace/name, read as TLS material on first use.
	Secrets map[types.NamespacedName]*Secret
	// MTLS decides what each workload port accepts (PeerAuthentication).
	MTLS *MTLSPolicy
	// JWT holds the RequestAuthentications (end-user JWT rules).
	JWT *JWTPolicy
	// Authz holds the AuthorizationPolicies (authz.go).
	Authz *AuthzPolicies
	// Status of every Istio object, keyed by kind and name.
	Status *Status
	// SourceLabelKeys are the pod label keys any rule selects sources by,
	// sorted; proxies agreeing on them share outbound configuration.
	SourceLabelKeys []string
	// LocalityAware says some DestinationRule makes endpoints depend on
	// the proxy's locality (locality load balancing applies): proxies in
	// different localities must not share an outbound translation.
	LocalityAware bool
	// OutboundTrafficPolicy is the mesh-wide outboundTrafficPolicy.mode
	// (ALLOW_ANY or REGISTRY_ONLY) a Sidecar without one inherits.
	OutboundTrafficPolicy string
	// Mesh is Istio's mesh configuration, defaults applied; never nil.
	Mesh *meshconfig.Config
	// Telemetry holds the Telemetry objects by scope.
	Telemetry *TelemetryPolicies
	// RateLimits holds the RateLimitPolicies by scope (ratelimit.go).
	RateLimits *RateLimits

	rules *ruleIndex
	// sidecars are the Sidecar resources by namespace (sidecar.go).
	sidecars sidecarIndex
	// nodes are the nodes' localities by name, while building.
	nodes map[string]Locality
	// memo holds what translation derives once per model (memo.go).
	memo *memo
	// built is the status as Build left it, before translation added its
	// problems; sliceServices names each EndpointSlice's service. Both
	// let WithSlices start from this model (slices_since.go).
	built         *Status
	sliceServices map[types.NamespacedName]types.NamespacedName
}

// Resolution says how a proxy finds a service's endpoints.
type Resolution int

const (
	// ClientSideLB: endpoints are known to the control plane (EDS).
	ClientSideLB Resolution = iota
	// Passthrough: forward to the original destination address.
	Passthrough
	// DNS: the proxy resolves the hosts itself (strict DNS).
	DNS
	// DNSRoundRobin: the proxy resolves and uses one address at a time
	// (logical DNS).
	DNSRoundRobin
)

// Service is one host in the registry.
type Service struct {
	Hostname  string
	Namespace string
	Name      string // Kubernetes service name, or the ServiceEntry's name
	// Addresses are the virtual IPs (cluster IP, ServiceEntry addresses).
	Addresses    []string
	Ports        []Port
	ExportTo     Visibility
	MeshExternal bool
	Resolution   Resolution
	// Endpoints by service port number.
	Endpoints map[uint32][]Endpoint
	// FromServiceEntry names the ServiceEntry that defined the host.
	FromServiceEntry *types.NamespacedName
	// Selector picks the workloads behind a Kubernetes service.
	Selector map[string]string
	// SubjectAltNames of a ServiceEntry, for TLS origination.
	SubjectAltNames []string
	// ServiceAccounts are the SPIFFE ids the service's workloads present
	// (and a ServiceEntry's subjectAltNames), sorted: what a client's
	// mutual TLS expects of the server.
	ServiceAccounts []string
	// CaseVariantOf names the older host that differs from this one only
	// in case; that host alone gets the HTTP virtual host both names reach.
	CaseVariantOf string
}

// Port is a service port.
type Port struct {
	Name       string
	Number     uint32
	TargetPort TargetPort
	Protocol   Protocol
}

// TargetPort is a Kubernetes target port: a number, or a container port
// name resolved per endpoint.
type TargetPort struct {
	Number uint32
	Name   string
}

// Endpoint is one backend address of a service port.
type Endpoint struct {
	Address string
	Port    uint32
	Labels  map[string]string
	// Locality is "region/zone/subzone" (see Locality).
	Locality Locality
	Weight   uint32
	// Pod names the Kubernetes pod behind the endpoint, if any.
	Pod *types.NamespacedName
	// Ready is false for endpoints that are terminating or not yet ready.
	Ready bool
	// Meshed says the pod behind the endpoint runs a sidecar, so it takes
	// Istio mutual TLS (auto mTLS).
	Meshed bool
}

// Port returns the service port with the number, or nil.
func (s *Service) Port(number uint32) *Port {
	for i := range s.Ports {
		if s.Ports[i].Number == number {
			return &s.Ports[i]
		}
	}
	return nil
}

// VirtualService is a VirtualService with its hosts and gateways resolved.
type VirtualService struct {
	Ref  types.NamespacedName
	Spec *networkingv1.VirtualServiceSpec
	// Hosts are the spec's hosts made fully qualified (short names resolve
	// in the VirtualService's namespace).
	Hosts []string
	// Gateways are namespace-qualified ("ns/name"); "mesh" stays as is.
	// Empty in the spec means [mesh].
	Gateways []string
	ExportTo Visibility
}

// DestinationRule is a DestinationRule with its host resolved.
type DestinationRule struct {
	Ref      types.NamespacedName
	Spec     *networkingv1.DestinationRuleSpec
	Host     string
	ExportTo Visibility
}

// Workload is a pod as the mesh sees it.
type Workload struct {
	Ref    types.NamespacedName
	IP     string
	Labels map[string]string
	// ServiceAccount and UID tie an authenticated caller to the pod: a
	// proxy may only be configured as a pod that runs as its identity.
	ServiceAccount string
	UID            string
	// Sidecar says the pod runs a mesh proxy.
	Sidecar bool
	// ContainerPorts by name, for named target ports.
	ContainerPorts map[string]uint32
	// Locality is where the pod runs (podLocality), or failing that what
	// its EndpointSlice endpoints say; empty when unknown.
	Locality Locality
}

// SameEndpoints reports whether two services' endpoints, by port, are
// equal field by field (reflect.DeepEqual's answer, but for nil and
// empty, which translate alike, and without reflection: the pods path
// compares every service's on every change).
func SameEndpoints(a, b map[uint32][]Endpoint) bool {
	if len(a) != len(b) {
		return false
	}
	for port, as := range a {
		bs, ok := b[port]
		if !ok || !slices.EqualFunc(as, bs, sameEndpoint) {
			return false
		}
	}
	return true
}

func sameEndpoint(a, b Endpoint) bool {
	return a.Address == b.Address && a.Port == b.Port && a.Locality == b.Locality && a.Weight == b.Weight &&
		a.Ready == b.Ready && a.Meshed == b.Meshed && maps.Equal(a.Labels, b.Labels) &&
		(a.Pod == b.Pod || a.Pod != nil && b.Pod != nil && *a.Pod == *b.Pod)
}
