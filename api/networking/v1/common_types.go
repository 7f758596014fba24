package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Duration is a duration string as Istio accepts it ("10s", "1.5s", "3m",
// "100ms"). Istio's CRDs require every duration to be at least 1ms; so do
// we, with the same CEL rule, so a typo such as "10" is refused at apply time.
//
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1ms')",message="must be a valid duration greater than or equal to 1ms"
type Duration string

// Timeout is a route timeout. Unlike other durations it may be "0s", which
// Istio users write to disable the timeout explicitly.
//
// +kubebuilder:validation:MaxLength=64
// +kubebuilder:validation:XValidation:rule="duration(self) == duration('0s') || duration(self) >= duration('1ms')",message="must be 0s (disabled) or a valid duration greater than or equal to 1ms"
type Timeout string

// PortNumber is a TCP/UDP port.
//
// +kubebuilder:validation:Minimum=1
// +kubebuilder:validation:Maximum=65535
type PortNumber uint32

// Percent is a share of requests, 0 to 100; 0.1 means one in a thousand.
type Percent struct {
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Value float64 `json:"value,omitempty"`
}

// StringMatch matches a string exactly, by prefix, or by RE2 regex. At most
// one kind may be set; an empty match means "present" where Istio allows it
// (header matches).
//
// +kubebuilder:validation:XValidation:rule="(has(self.exact) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.regex) ? 1 : 0) <= 1",message="only one of exact, prefix or regex may be set"
type StringMatch struct {
	Exact  *string `json:"exact,omitempty"`
	Prefix *string `json:"prefix,omitempty"`
	Regex  *string `json:"regex,omitempty"`
}

// PortSelector names a port of a service.
type PortSelector struct {
	// Number is the port number.
	Number PortNumber `json:"number,omitempty"`
}

// Destination names a service (and optionally a subset and port) that
// traffic is sent to.
type Destination struct {
	// Host is the service's name in the registry: a Kubernetes service
	// (short names resolve in the namespace of the rule) or a ServiceEntry
	// host.
	//
	// +kubebuilder:validation:MinLength=1
	Host string `json:"host"`
	// Subset is the name of a subset in the host's DestinationRule.
	Subset string `json:"subset,omitempty"`
	// Port selects a port on the host; needed when it has more than one.
	Port *PortSelector `json:"port,omitempty"`
}

// WorkloadSelector selects pods by label (DestinationRule).
type WorkloadSelector struct {
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// Status is the status of every sailplane-served object: whether the
// control plane accepted it, and why not.
type Status struct {
	// Conditions hold an Accepted condition with a reason and message.
	//
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}
