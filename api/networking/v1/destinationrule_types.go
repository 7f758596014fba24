package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// DestinationRuleSpec holds the policies applied to traffic for a host
// after routing: load balancing, connection pools, outlier detection, TLS,
// and the subsets VirtualServices route to.
type DestinationRuleSpec struct {
	// Host is the service the rule applies to; short names resolve in the
	// rule's namespace.
	//
	// +kubebuilder:validation:MinLength=1
	Host          string         `json:"host"`
	TrafficPolicy *TrafficPolicy `json:"trafficPolicy,omitempty"`
	// Subsets are named groups of the host's endpoints, chosen by label.
	//
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=256
	Subsets  []Subset `json:"subsets,omitempty"`
	ExportTo []string `json:"exportTo,omitempty"`
	// WorkloadSelector limits the rule to the selected client workloads.
	WorkloadSelector *WorkloadSelector `json:"workloadSelector,omitempty"`
}

// DestinationRule is Istio's traffic policy for one host.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dr,categories=istio-io;networking-istio-io
// +kubebuilder:printcolumn:name="Host",type=string,JSONPath=".spec.host",description="The name of a service from the service registry"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type DestinationRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DestinationRuleSpec `json:"spec,omitempty"`
	Status Status              `json:"status,omitempty"`
}

// DestinationRuleList is a list of DestinationRules.
//
// +kubebuilder:object:root=true
type DestinationRuleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DestinationRule `json:"items"`
}

// TrafficPolicy is the policy for a host, a subset or a port.
type TrafficPolicy struct {
	LoadBalancer     *LoadBalancerSettings   `json:"loadBalancer,omitempty"`
	ConnectionPool   *ConnectionPoolSettings `json:"connectionPool,omitempty"`
	OutlierDetection *OutlierDetection       `json:"outlierDetection,omitempty"`
	TLS              *ClientTLSSettings      `json:"tls,omitempty"`
	// PortLevelSettings override the policy for single ports.
	//
	// +kubebuilder:validation:MaxItems=64
	PortLevelSettings []PortTrafficPolicy `json:"portLevelSettings,omitempty"`
	Tunnel            *TunnelSettings     `json:"tunnel,omitempty"`
	ProxyProtocol     *ProxyProtocol      `json:"proxyProtocol,omitempty"`
	RetryBudget       *RetryBudget        `json:"retryBudget,omitempty"`
}

// PortTrafficPolicy is the policy for one port of the host.
type PortTrafficPolicy struct {
	Port             *PortSelector           `json:"port,omitempty"`
	LoadBalancer     *LoadBalancerSettings   `json:"loadBalancer,omitempty"`
	ConnectionPool   *ConnectionPoolSettings `json:"connectionPool,omitempty"`
	OutlierDetection *OutlierDetection       `json:"outlierDetection,omitempty"`
	TLS              *ClientTLSSettings      `json:"tls,omitempty"`
}

// Subset is a named set of the host's endpoints with its own policy.
type Subset struct {
	// +kubebuilder:validation:MinLength=1
	Name          string            `json:"name"`
	Labels        map[string]string `json:"labels,omitempty"`
	TrafficPolicy *TrafficPolicy    `json:"trafficPolicy,omitempty"`
}

// TunnelSettings carry TCP traffic through an HTTP CONNECT/POST tunnel.
type TunnelSettings struct {
	// +kubebuilder:validation:Enum=CONNECT;POST
	Protocol   string `json:"protocol,omitempty"`
	TargetHost string `json:"targetHost"`
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	TargetPort int32 `json:"targetPort"`
}

// ProxyProtocol sends a PROXY protocol header upstream.
type ProxyProtocol struct {
	// +kubebuilder:validation:Enum=V1;V2
	Version string `json:"version,omitempty"`
}

// RetryBudget bounds concurrent retries as a share of active requests.
type RetryBudget struct {
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Percent             *float64 `json:"percent,omitempty"`
	MinRetryConcurrency int32    `json:"minRetryConcurrency,omitempty"`
}
