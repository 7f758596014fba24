package inject

// Labels and annotations Istio users already put on namespaces and pods.
const (
	// NamespaceInjectionLabel set to "enabled" injects every pod of the
	// namespace; "disabled" injects none, whatever the pods say.
	NamespaceInjectionLabel = "istio-injection"
	// RevisionLabel on a namespace selects a control plane revision; any
	// value turns injection on (sailplane serves every revision).
	RevisionLabel = "istio.io/rev"
	// InjectKey as a pod label (or, the legacy way, annotation) opts a pod
	// in ("true") or out (any value but y, yes, true or on; see Decide).
	InjectKey = "sidecar.istio.io/inject"
	// NamespaceNameLabel is set by the API server on every namespace.
	NamespaceNameLabel = "kubernetes.io/metadata.name"
)

// Pod annotations that change what istio-init captures.
const (
	AnnotationIncludeOutboundIPRanges = "traffic.sidecar.istio.io/includeOutboundIPRanges"
	AnnotationExcludeOutboundIPRanges = "traffic.sidecar.istio.io/excludeOutboundIPRanges"
	AnnotationIncludeInboundPorts     = "traffic.sidecar.istio.io/includeInboundPorts"
	AnnotationExcludeInboundPorts     = "traffic.sidecar.istio.io/excludeInboundPorts"
	AnnotationIncludeOutboundPorts    = "traffic.sidecar.istio.io/includeOutboundPorts"
	AnnotationExcludeOutboundPorts    = "traffic.sidecar.istio.io/excludeOutboundPorts"
	AnnotationInterceptionMode        = "sidecar.istio.io/interceptionMode"
)

// Pod annotations that size the proxy container.
const (
	AnnotationProxyCPU         = "sidecar.istio.io/proxyCPU"
	AnnotationProxyMemory      = "sidecar.istio.io/proxyMemory"
	AnnotationProxyCPULimit    = "sidecar.istio.io/proxyCPULimit"
	AnnotationProxyMemoryLimit = "sidecar.istio.io/proxyMemoryLimit"
)

// StatusAnnotation records on every pod the injector saw what it decided
// and why, so "why is my pod not in the mesh?" has an answer on the pod.
// Values start with StatusInjected or StatusNotInjected.
const (
	StatusAnnotation  = "sidecar.sailplane.io/status"
	StatusInjected    = "injected: "
	StatusNotInjected = "not injected: "
)

// Interception modes (sidecar.istio.io/interceptionMode).
const (
	ModeRedirect = "REDIRECT"
	ModeTProxy   = "TPROXY"
	// ModeNone installs no iptables rules: only the proxy is added.
	ModeNone = "NONE"
)
