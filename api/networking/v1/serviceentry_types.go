package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ServiceEntrySpec adds a service to the mesh's registry: an external API,
// a VM, or a set of addresses.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.workloadSelector) && has(self.endpoints))",message="only one of workloadSelector or endpoints may be set"
// +kubebuilder:validation:XValidation:rule="!has(self.addresses) || !self.addresses.exists(a, a.contains('/')) || !has(self.resolution) || self.resolution in ['NONE', 'STATIC']",message="CIDR addresses are allowed only with resolution NONE or STATIC"
// +kubebuilder:validation:XValidation:rule="(has(self.resolution) && self.resolution != 'NONE') || !has(self.endpoints)",message="resolution NONE cannot have endpoints"
// +kubebuilder:validation:XValidation:rule="!has(self.resolution) || self.resolution != 'DNS_ROUND_ROBIN' || !has(self.endpoints) || self.endpoints.size() <= 1",message="resolution DNS_ROUND_ROBIN allows at most one endpoint"
type ServiceEntrySpec struct {
	// Hosts of the service; never "*".
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.all(h, h != '*')",message="hosts cannot be the wildcard *"
	Hosts []string `json:"hosts"`
	// Addresses are virtual IPs or CIDRs of the service.
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=64
	Addresses []string `json:"addresses,omitempty"`
	// Ports of the service; numbers are unique.
	// +listType=map
	// +listMapKey=number
	Ports []ServicePort `json:"ports,omitempty"`
	// +kubebuilder:validation:Enum=MESH_EXTERNAL;MESH_INTERNAL
	Location string `json:"location,omitempty"`
	// Resolution says how the proxy finds the endpoints; NONE by default.
	// +kubebuilder:validation:Enum=NONE;STATIC;DNS;DNS_ROUND_ROBIN
	Resolution string `json:"resolution,omitempty"`
	// +kubebuilder:validation:MaxItems=4096
	Endpoints        []WorkloadEntry        `json:"endpoints,omitempty"`
	WorkloadSelector *EntryWorkloadSelector `json:"workloadSelector,omitempty"`
	ExportTo         []string               `json:"exportTo,omitempty"`
	SubjectAltNames  []string               `json:"subjectAltNames,omitempty"`
}

// ServiceEntry is Istio's way to add services to the registry.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=se,categories=istio-io;networking-istio-io
// +kubebuilder:printcolumn:name="Hosts",type=string,JSONPath=".spec.hosts",description="The hosts associated with the ServiceEntry"
// +kubebuilder:printcolumn:name="Location",type=string,JSONPath=".spec.location",description="Whether the service is external to the mesh or part of the mesh (MESH_EXTERNAL or MESH_INTERNAL)"
// +kubebuilder:printcolumn:name="Resolution",type=string,JSONPath=".spec.resolution",description="Service resolution mode for the hosts (NONE, STATIC, or DNS)"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type ServiceEntry struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ServiceEntrySpec `json:"spec,omitempty"`
	Status Status           `json:"status,omitempty"`
}

// ServiceEntryList is a list of ServiceEntries.
//
// +kubebuilder:object:root=true
type ServiceEntryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ServiceEntry `json:"items"`
}

// ServicePort is a port of a ServiceEntry.
type ServicePort struct {
	Number PortNumber `json:"number"`
	// Protocol is one of HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP, TLS.
	Protocol string `json:"protocol,omitempty"`
	// +kubebuilder:validation:MinLength=1
	Name       string     `json:"name"`
	TargetPort PortNumber `json:"targetPort,omitempty"`
}

// WorkloadEntry is one endpoint of a ServiceEntry.
type WorkloadEntry struct {
	// Address is an IP, a DNS name, or unix:///absolute/path.
	// +kubebuilder:validation:MaxLength=256
	Address string `json:"address,omitempty"`
	// Ports maps the ServiceEntry's port names to this endpoint's ports.
	Ports    map[string]PortNumber `json:"ports,omitempty"`
	Labels   map[string]string     `json:"labels,omitempty"`
	Network  string                `json:"network,omitempty"`
	Locality string                `json:"locality,omitempty"`
	// +kubebuilder:validation:Minimum=0
	Weight         int64  `json:"weight,omitempty"`
	ServiceAccount string `json:"serviceAccount,omitempty"`
}

// EntryWorkloadSelector selects pods or WorkloadEntries as endpoints.
type EntryWorkloadSelector struct {
	Labels map[string]string `json:"labels,omitempty"`
}
