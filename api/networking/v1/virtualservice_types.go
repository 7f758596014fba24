package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// VirtualServiceSpec routes traffic addressed to hosts. Field names and
// semantics follow Istio's networking API.
type VirtualServiceSpec struct {
	// Hosts the rules apply to: service names, ServiceEntry hosts or, on
	// gateways, DNS names (wildcards allowed). Empty only for a delegate.
	Hosts []string `json:"hosts,omitempty"`
	// Gateways that apply these rules, as [namespace/]name; the reserved
	// name "mesh" means every sidecar. Empty means [mesh].
	Gateways []string `json:"gateways,omitempty"`
	// HTTP routes, evaluated in order; the first match wins.
	// +kubebuilder:validation:MaxItems=4096
	HTTP []HTTPRoute `json:"http,omitempty"`
	// TLS routes for unterminated TLS/HTTPS traffic, matched by SNI.
	// +kubebuilder:validation:MaxItems=4096
	TLS []TLSRoute `json:"tls,omitempty"`
	// TCP routes for opaque TCP traffic.
	// +kubebuilder:validation:MaxItems=4096
	TCP []TCPRoute `json:"tcp,omitempty"`
	// ExportTo lists the namespaces this rule is visible to ("." its own,
	// "*" all). Empty means all.
	ExportTo []string `json:"exportTo,omitempty"`
}

// VirtualService is Istio's routing rule for one or more hosts.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=vs,categories=istio-io;networking-istio-io
// +kubebuilder:printcolumn:name="Gateways",type=string,JSONPath=".spec.gateways",description="The names of gateways and sidecars that should apply these routes"
// +kubebuilder:printcolumn:name="Hosts",type=string,JSONPath=".spec.hosts",description="The destination hosts to which traffic is being sent"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type VirtualService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   VirtualServiceSpec `json:"spec,omitempty"`
	Status Status             `json:"status,omitempty"`
}

// VirtualServiceList is a list of VirtualServices.
//
// +kubebuilder:object:root=true
type VirtualServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VirtualService `json:"items"`
}

// TLSRoute forwards unterminated TLS traffic by SNI.
type TLSRoute struct {
	// +kubebuilder:validation:MinItems=1
	Match []TLSMatchAttributes `json:"match"`
	// +kubebuilder:validation:XValidation:rule="self.size() <= 1 || self.exists(d, has(d.weight) && d.weight > 0)",message="with more than one destination, at least one weight must be greater than 0"
	// +kubebuilder:validation:MaxItems=64
	Route []RouteDestination `json:"route,omitempty"`
}

// TLSMatchAttributes match TLS connections.
type TLSMatchAttributes struct {
	// SniHosts to match; each must be one of the VirtualService's hosts.
	// +kubebuilder:validation:MinItems=1
	SniHosts []string `json:"sniHosts"`
	// DestinationSubnets are IPv4/IPv6 addresses or CIDRs.
	DestinationSubnets []string          `json:"destinationSubnets,omitempty"`
	Port               PortNumber        `json:"port,omitempty"`
	SourceLabels       map[string]string `json:"sourceLabels,omitempty"`
	Gateways           []string          `json:"gateways,omitempty"`
	SourceNamespace    string            `json:"sourceNamespace,omitempty"`
}

// TCPRoute forwards opaque TCP traffic.
type TCPRoute struct {
	Match []L4MatchAttributes `json:"match,omitempty"`
	// +kubebuilder:validation:XValidation:rule="self.size() <= 1 || self.exists(d, has(d.weight) && d.weight > 0)",message="with more than one destination, at least one weight must be greater than 0"
	// +kubebuilder:validation:MaxItems=64
	Route []RouteDestination `json:"route,omitempty"`
}

// L4MatchAttributes match TCP connections.
type L4MatchAttributes struct {
	DestinationSubnets []string          `json:"destinationSubnets,omitempty"`
	Port               PortNumber        `json:"port,omitempty"`
	SourceSubnet       string            `json:"sourceSubnet,omitempty"`
	SourceLabels       map[string]string `json:"sourceLabels,omitempty"`
	Gateways           []string          `json:"gateways,omitempty"`
	SourceNamespace    string            `json:"sourceNamespace,omitempty"`
}

// RouteDestination is a weighted L4 destination.
type RouteDestination struct {
	Destination Destination `json:"destination"`
	// Weight is this destination's share, relative to the sum of the
	// route's weights; a single destination gets all traffic.
	//
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Weight int32 `json:"weight,omitempty"`
}
