package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	networkingv1 "github.com/sailplane/sailplane/api/networking/v1"
	securityv1 "github.com/sailplane/sailplane/api/security/v1"
)

// TelemetrySpec says how the selected workloads trace, log and report
// metrics. A Telemetry in the root namespace without selector applies to
// the mesh, one elsewhere without selector to its namespace, one with a
// selector (or targetRefs) to those workloads; the most specific wins,
// field by field.
//
// +kubebuilder:validation:XValidation:rule="(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1",message="only one of targetRefs or selector can be set"
type TelemetrySpec struct {
	// Selector picks the pods of the Telemetry's namespace it applies to.
	Selector *securityv1.WorkloadSelector `json:"selector,omitempty"`
	// TargetRef is the single-target form of TargetRefs.
	TargetRef *PolicyTargetReference `json:"targetRef,omitempty"`
	// TargetRefs name Gateway API gateways or services (waypoints) the
	// Telemetry applies to.
	//
	// +kubebuilder:validation:MaxItems=16
	TargetRefs []PolicyTargetReference `json:"targetRefs,omitempty"`
	// Tracing configures tracing; the first entry per mode applies.
	//
	// +kubebuilder:validation:MaxItems=8
	Tracing []Tracing `json:"tracing,omitempty"`
	// Metrics configures metrics.
	//
	// +kubebuilder:validation:MaxItems=8
	Metrics []Metrics `json:"metrics,omitempty"`
	// AccessLogging configures access logs; every matching entry applies.
	//
	// +kubebuilder:validation:MaxItems=8
	AccessLogging []AccessLogging `json:"accessLogging,omitempty"`
}

// PolicyTargetReference names the resource a policy is attached to.
//
// +kubebuilder:validation:XValidation:rule="(!has(self.group) || self.group.size() == 0) ? self.kind == 'Service' : [self.group, self.kind] in [['core','Service'], ['gateway.networking.k8s.io','Gateway'], ['networking.istio.io','ServiceEntry'], ['gateway.networking.k8s.io','GatewayClass']]",message="Support kinds are core/Service, networking.istio.io/ServiceEntry, gateway.networking.k8s.io/Gateway, gateway.networking.k8s.io/GatewayClass"
type PolicyTargetReference struct {
	// Group of the target ("" for core).
	//
	// +kubebuilder:validation:MaxLength=253
	Group string `json:"group,omitempty"`
	// Kind of the target.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`
	// Name of the target.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Namespace of the target; it must be the policy's own.
	//
	// +kubebuilder:validation:XValidation:rule="self.size() == 0",message="cross namespace referencing is not currently supported"
	Namespace string `json:"namespace,omitempty"`
}

// WorkloadMode selects client (outbound), server (inbound) or both sides.
//
// +kubebuilder:validation:Enum=CLIENT_AND_SERVER;CLIENT;SERVER
type WorkloadMode string

// Workload modes.
const (
	ClientAndServer WorkloadMode = "CLIENT_AND_SERVER"
	Client          WorkloadMode = "CLIENT"
	Server          WorkloadMode = "SERVER"
)

// ProviderRef names an extension provider of the mesh configuration.
type ProviderRef struct {
	// Name of the provider (meshConfig.extensionProviders[].name).
	//
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
}

// Tracing configures tracing for the workloads.
type Tracing struct {
	// Match selects the side the entry applies to (default both).
	Match *TracingSelector `json:"match,omitempty"`
	// Providers name the tracing provider (at most one is used).
	//
	// +kubebuilder:validation:MaxItems=1
	Providers []ProviderRef `json:"providers,omitempty"`
	// CustomTags add tags to every span.
	CustomTags map[string]CustomTag `json:"customTags,omitempty"`
	// DisableSpanReporting stops sending spans; trace context is still
	// propagated.
	DisableSpanReporting *bool `json:"disableSpanReporting,omitempty"`
	// RandomSamplingPercentage is the share of requests traced.
	//
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	RandomSamplingPercentage *float64 `json:"randomSamplingPercentage,omitempty"`
	// UseRequestIdForTraceSampling: sample on the x-request-id.
	UseRequestIdForTraceSampling *bool `json:"useRequestIdForTraceSampling,omitempty"`
	// EnableIstioTags adds Istio's own span tags.
	EnableIstioTags *bool `json:"enableIstioTags,omitempty"`
}

// TracingSelector is the side a tracing entry applies to.
type TracingSelector struct {
	Mode WorkloadMode `json:"mode,omitempty"`
}

// CustomTag is a literal, an environment variable or a request header.
//
// +kubebuilder:validation:XValidation:rule="(has(self.literal) ? 1 : 0) + (has(self.environment) ? 1 : 0) + (has(self.header) ? 1 : 0) == 1",message="exactly one of literal, environment or header must be set"
type CustomTag struct {
	Literal     *LiteralTag     `json:"literal,omitempty"`
	Environment *EnvironmentTag `json:"environment,omitempty"`
	Header      *HeaderTag      `json:"header,omitempty"`
}

// LiteralTag is a fixed value.
type LiteralTag struct {
	// +kubebuilder:validation:MinLength=1
	Value string `json:"value"`
}

// EnvironmentTag is an environment variable of the proxy.
type EnvironmentTag struct {
	// +kubebuilder:validation:MinLength=1
	Name         string `json:"name"`
	DefaultValue string `json:"defaultValue,omitempty"`
}

// HeaderTag is a request header.
type HeaderTag struct {
	// +kubebuilder:validation:MinLength=1
	Name         string `json:"name"`
	DefaultValue string `json:"defaultValue,omitempty"`
}

// AccessLogging configures access logs for the workloads.
type AccessLogging struct {
	// Match selects the side the entry applies to (default both).
	Match *AccessLogSelector `json:"match,omitempty"`
	// Providers name the access log providers (default: the mesh
	// configuration's defaultProviders.accessLogging).
	Providers []ProviderRef `json:"providers,omitempty"`
	// Disabled turns the providers' logs off.
	Disabled *bool `json:"disabled,omitempty"`
	// Filter logs only what its CEL expression accepts.
	Filter *AccessLogFilter `json:"filter,omitempty"`
}

// AccessLogSelector is the side an access log entry applies to.
type AccessLogSelector struct {
	Mode WorkloadMode `json:"mode,omitempty"`
}

// AccessLogFilter is a CEL expression over Envoy's attributes, e.g.
// "response.code >= 400".
type AccessLogFilter struct {
	// +kubebuilder:validation:MinLength=1
	Expression string `json:"expression,omitempty"`
}

// Metrics configures metrics for the workloads.
type Metrics struct {
	Providers []ProviderRef      `json:"providers,omitempty"`
	Overrides []MetricsOverrides `json:"overrides,omitempty"`
	// ReportingInterval is how often metrics are reported.
	//
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1ms')",message="must be at least 1ms"
	ReportingInterval *string `json:"reportingInterval,omitempty"`
}

// MetricsOverrides changes one metric.
type MetricsOverrides struct {
	Match        *MetricSelector        `json:"match,omitempty"`
	Disabled     *bool                  `json:"disabled,omitempty"`
	TagOverrides map[string]TagOverride `json:"tagOverrides,omitempty"`
}

// MetricSelector selects a metric.
type MetricSelector struct {
	// +kubebuilder:validation:Enum=ALL_METRICS;REQUEST_COUNT;REQUEST_DURATION;REQUEST_SIZE;RESPONSE_SIZE;TCP_OPENED_CONNECTIONS;TCP_CLOSED_CONNECTIONS;TCP_SENT_BYTES;TCP_RECEIVED_BYTES;GRPC_REQUEST_MESSAGES;GRPC_RESPONSE_MESSAGES
	Metric       string       `json:"metric,omitempty"`
	CustomMetric string       `json:"customMetric,omitempty"`
	Mode         WorkloadMode `json:"mode,omitempty"`
}

// TagOverride removes or sets a metric tag.
type TagOverride struct {
	// +kubebuilder:validation:Enum=UPSERT;REMOVE
	Operation string `json:"operation,omitempty"`
	Value     string `json:"value,omitempty"`
}

// Telemetry is Istio's telemetry policy.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=telemetry,categories=istio-io;telemetry-istio-io
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type Telemetry struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TelemetrySpec       `json:"spec,omitempty"`
	Status networkingv1.Status `json:"status,omitempty"`
}

// TelemetryList is a list of Telemetries.
//
// +kubebuilder:object:root=true
type TelemetryList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Telemetry `json:"items"`
}
