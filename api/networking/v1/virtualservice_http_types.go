package v1

// HTTPRoute is one rule of a VirtualService's http section: conditions and
// what to do with matching requests (route, redirect, respond directly, or
// delegate to another VirtualService).
//
// +kubebuilder:validation:XValidation:rule="(has(self.route) ? 1 : 0) + (has(self.redirect) ? 1 : 0) + (has(self.directResponse) ? 1 : 0) + (has(self.delegate) ? 1 : 0) == 1",message="exactly one of route, redirect, directResponse or delegate must be set"
// +kubebuilder:validation:XValidation:rule="!(has(self.mirror) && has(self.mirrors))",message="only one of mirror or mirrors may be set"
// +kubebuilder:validation:XValidation:rule="!(has(self.mirrorPercentage) && has(self.mirror_percent))",message="only one of mirrorPercentage or the deprecated mirror_percent may be set"
// +kubebuilder:validation:XValidation:rule="!has(self.rewrite) || !(has(self.redirect) || has(self.directResponse))",message="rewrite cannot be used with redirect or directResponse"
type HTTPRoute struct {
	// Name is used in logs and stats.
	Name string `json:"name,omitempty"`
	// Match conditions are ORed; the conditions inside one match are ANDed.
	Match []HTTPMatchRequest `json:"match,omitempty"`
	// Route sends the request to weighted destinations.
	// +kubebuilder:validation:XValidation:rule="self.size() <= 1 || self.exists(d, has(d.weight) && d.weight > 0)",message="with more than one destination, at least one weight must be greater than 0"
	// +kubebuilder:validation:MaxItems=64
	Route []HTTPRouteDestination `json:"route,omitempty"`
	// Redirect answers with a 301 (or redirectCode) to another location.
	Redirect *HTTPRedirect `json:"redirect,omitempty"`
	// DirectResponse answers with a fixed status and body.
	DirectResponse *HTTPDirectResponse `json:"directResponse,omitempty"`
	// Delegate hands the matched requests to another VirtualService.
	Delegate *Delegate `json:"delegate,omitempty"`
	// Rewrite changes the path or authority before forwarding.
	Rewrite *HTTPRewrite `json:"rewrite,omitempty"`
	// Timeout for the whole request including retries; 0s disables it.
	Timeout *Timeout `json:"timeout,omitempty"`
	// Retries policy; Istio applies a default policy when omitted.
	Retries *HTTPRetry `json:"retries,omitempty"`
	// Fault injects delays and aborts.
	Fault *HTTPFaultInjection `json:"fault,omitempty"`
	// Mirror sends a copy of the traffic to another destination.
	Mirror *Destination `json:"mirror,omitempty"`
	// MirrorPercent is the deprecated integer form of mirrorPercentage,
	// spelled in snake_case as Istio still accepts it.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MirrorPercent *int32 `json:"mirror_percent,omitempty"`
	// MirrorPercentage of requests mirrored; 100 when a mirror is set.
	MirrorPercentage *Percent `json:"mirrorPercentage,omitempty"`
	// Mirrors lists several mirror destinations with their own percentages.
	Mirrors []HTTPMirrorPolicy `json:"mirrors,omitempty"`
	// CorsPolicy for cross-origin requests.
	CorsPolicy *CorsPolicy `json:"corsPolicy,omitempty"`
	// Headers manipulated on requests and responses.
	Headers *Headers `json:"headers,omitempty"`
	// WebsocketUpgrade is a field of Istio's old API that manifests still
	// carry; websocket upgrades are always allowed, so it has no effect.
	WebsocketUpgrade bool `json:"websocketUpgrade,omitempty"`
}

// HTTPMatchRequest is a set of conditions on a request, all of which must
// hold. Gateways, sourceLabels and sourceNamespace select the proxies the
// match applies to.
type HTTPMatchRequest struct {
	Name      string       `json:"name,omitempty"`
	URI       *StringMatch `json:"uri,omitempty"`
	Scheme    *StringMatch `json:"scheme,omitempty"`
	Method    *StringMatch `json:"method,omitempty"`
	Authority *StringMatch `json:"authority,omitempty"`
	// Headers to match; keys are lower-case header names. `regex: "*"` or
	// an empty match means the header is present.
	Headers map[string]StringMatch `json:"headers,omitempty"`
	// WithoutHeaders must not match.
	WithoutHeaders map[string]StringMatch `json:"withoutHeaders,omitempty"`
	// QueryParams to match (exact or regex).
	QueryParams map[string]StringMatch `json:"queryParams,omitempty"`
	// IgnoreURICase makes the uri match case-insensitive.
	IgnoreURICase bool `json:"ignoreUriCase,omitempty"`
	// Port the request was addressed to.
	Port            PortNumber        `json:"port,omitempty"`
	SourceLabels    map[string]string `json:"sourceLabels,omitempty"`
	SourceNamespace string            `json:"sourceNamespace,omitempty"`
	Gateways        []string          `json:"gateways,omitempty"`
	StatPrefix      string            `json:"statPrefix,omitempty"`
}

// HTTPRouteDestination is a weighted HTTP destination with its own header
// manipulation.
type HTTPRouteDestination struct {
	Destination Destination `json:"destination"`
	// Weight is this destination's share, relative to the sum of the
	// route's weights; a single destination gets all traffic.
	//
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Weight  int32    `json:"weight,omitempty"`
	Headers *Headers `json:"headers,omitempty"`
}

// HTTPRedirect answers with a redirect.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.port) && has(self.derivePort))",message="only one of port or derivePort may be set"
type HTTPRedirect struct {
	URI       string     `json:"uri,omitempty"`
	Authority string     `json:"authority,omitempty"`
	Port      PortNumber `json:"port,omitempty"`
	// +kubebuilder:validation:Enum=FROM_PROTOCOL_DEFAULT;FROM_REQUEST_PORT
	DerivePort string `json:"derivePort,omitempty"`
	Scheme     string `json:"scheme,omitempty"`
	// RedirectCode defaults to 301.
	// +kubebuilder:validation:Minimum=300
	// +kubebuilder:validation:Maximum=399
	RedirectCode int32 `json:"redirectCode,omitempty"`
}

// HTTPDirectResponse answers without forwarding.
type HTTPDirectResponse struct {
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=599
	Status int32     `json:"status"`
	Body   *HTTPBody `json:"body,omitempty"`
}

// HTTPBody is a direct response body, as text or base64 bytes.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.string) && has(self.bytes))",message="only one of string or bytes may be set"
type HTTPBody struct {
	String *string `json:"string,omitempty"`
	// +kubebuilder:validation:Format=byte
	Bytes []byte `json:"bytes,omitempty"`
}

// Delegate names the VirtualService that routes the matched requests.
type Delegate struct {
	// +kubebuilder:validation:MinLength=1
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// HTTPRewrite rewrites the request before forwarding.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.uri) && has(self.uriRegexRewrite))",message="only one of uri or uriRegexRewrite may be set"
type HTTPRewrite struct {
	URI             string        `json:"uri,omitempty"`
	Authority       string        `json:"authority,omitempty"`
	URIRegexRewrite *RegexRewrite `json:"uriRegexRewrite,omitempty"`
}

// RegexRewrite replaces what an RE2 regex matches in the path.
type RegexRewrite struct {
	Match   string `json:"match,omitempty"`
	Rewrite string `json:"rewrite,omitempty"`
}

// HTTPRetry is a retry policy.
type HTTPRetry struct {
	// Attempts is the number of retries; 0 disables retries.
	// +kubebuilder:validation:Minimum=0
	Attempts      int32     `json:"attempts,omitempty"`
	PerTryTimeout *Duration `json:"perTryTimeout,omitempty"`
	// RetryOn is a comma-separated list of Envoy retry conditions, gRPC
	// status names and numeric HTTP status codes.
	RetryOn                  string    `json:"retryOn,omitempty"`
	RetryRemoteLocalities    *bool     `json:"retryRemoteLocalities,omitempty"`
	RetryIgnorePreviousHosts *bool     `json:"retryIgnorePreviousHosts,omitempty"`
	Backoff                  *Duration `json:"backoff,omitempty"`
}

// HTTPFaultInjection delays or aborts requests.
//
// +kubebuilder:validation:XValidation:rule="has(self.delay) || has(self.abort)",message="one of delay or abort is required"
type HTTPFaultInjection struct {
	Delay *FaultDelay `json:"delay,omitempty"`
	Abort *FaultAbort `json:"abort,omitempty"`
}

// FaultDelay delays a share of requests.
//
// +kubebuilder:validation:XValidation:rule="has(self.fixedDelay) != has(self.exponentialDelay)",message="exactly one of fixedDelay or exponentialDelay must be set"
type FaultDelay struct {
	FixedDelay       *Duration `json:"fixedDelay,omitempty"`
	ExponentialDelay *Duration `json:"exponentialDelay,omitempty"`
	Percentage       *Percent  `json:"percentage,omitempty"`
	// Percent is the deprecated integer form of percentage.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	Percent int32 `json:"percent,omitempty"`
}

// FaultAbort aborts a share of requests with an HTTP or gRPC status.
//
// +kubebuilder:validation:XValidation:rule="(has(self.httpStatus) ? 1 : 0) + (has(self.grpcStatus) ? 1 : 0) + (has(self.http2Error) ? 1 : 0) == 1",message="exactly one of httpStatus, grpcStatus or http2Error must be set"
type FaultAbort struct {
	// +kubebuilder:validation:Minimum=200
	// +kubebuilder:validation:Maximum=599
	HTTPStatus int32 `json:"httpStatus,omitempty"`
	// GRPCStatus is a gRPC status name such as UNAVAILABLE.
	// +kubebuilder:validation:Enum=OK;CANCELLED;UNKNOWN;INVALID_ARGUMENT;DEADLINE_EXCEEDED;NOT_FOUND;ALREADY_EXISTS;PERMISSION_DENIED;RESOURCE_EXHAUSTED;FAILED_PRECONDITION;ABORTED;OUT_OF_RANGE;UNIMPLEMENTED;INTERNAL;UNAVAILABLE;DATA_LOSS;UNAUTHENTICATED
	GRPCStatus string   `json:"grpcStatus,omitempty"`
	HTTP2Error string   `json:"http2Error,omitempty"`
	Percentage *Percent `json:"percentage,omitempty"`
}

// HTTPMirrorPolicy is one mirror destination.
type HTTPMirrorPolicy struct {
	Destination Destination `json:"destination"`
	Percentage  *Percent    `json:"percentage,omitempty"`
}

// CorsPolicy is a CORS policy.
type CorsPolicy struct {
	AllowOrigins []StringMatch `json:"allowOrigins,omitempty"`
	// AllowOrigin is the deprecated exact-match form of allowOrigins.
	AllowOrigin      []string  `json:"allowOrigin,omitempty"`
	AllowMethods     []string  `json:"allowMethods,omitempty"`
	AllowHeaders     []string  `json:"allowHeaders,omitempty"`
	ExposeHeaders    []string  `json:"exposeHeaders,omitempty"`
	MaxAge           *Duration `json:"maxAge,omitempty"`
	AllowCredentials *bool     `json:"allowCredentials,omitempty"`
	// +kubebuilder:validation:Enum=UNSPECIFIED;FORWARD;IGNORE
	UnmatchedPreflights string `json:"unmatchedPreflights,omitempty"`
}

// Headers manipulates request and response headers.
type Headers struct {
	Request  *HeaderOperations `json:"request,omitempty"`
	Response *HeaderOperations `json:"response,omitempty"`
}

// HeaderOperations set (overwrite), add (append) and remove headers.
type HeaderOperations struct {
	Set    map[string]string `json:"set,omitempty"`
	Add    map[string]string `json:"add,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}
