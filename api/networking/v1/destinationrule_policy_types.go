package v1

// LoadBalancerSettings choose how endpoints are picked: a simple algorithm
// or consistent hashing, plus locality preferences and warm-up.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.simple) && has(self.consistentHash))",message="only one of simple or consistentHash may be set"
type LoadBalancerSettings struct {
	// +kubebuilder:validation:Enum=UNSPECIFIED;LEAST_CONN;RANDOM;PASSTHROUGH;ROUND_ROBIN;LEAST_REQUEST
	Simple            string                       `json:"simple,omitempty"`
	ConsistentHash    *ConsistentHashLB            `json:"consistentHash,omitempty"`
	LocalityLbSetting *LocalityLoadBalancerSetting `json:"localityLbSetting,omitempty"`
	// WarmupDurationSecs is the deprecated form of warmup.duration.
	WarmupDurationSecs *Duration            `json:"warmupDurationSecs,omitempty"`
	Warmup             *WarmupConfiguration `json:"warmup,omitempty"`
}

// ConsistentHashLB hashes one request property onto a ring or a Maglev
// table, for session affinity.
//
// +kubebuilder:validation:XValidation:rule="(has(self.httpHeaderName) ? 1 : 0) + (has(self.httpCookie) ? 1 : 0) + (has(self.useSourceIp) ? 1 : 0) + (has(self.httpQueryParameterName) ? 1 : 0) == 1",message="exactly one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName must be set"
// +kubebuilder:validation:XValidation:rule="(has(self.ringHash) ? 1 : 0) + (has(self.maglev) ? 1 : 0) + (has(self.minimumRingSize) ? 1 : 0) <= 1",message="only one of ringHash, maglev or the deprecated minimumRingSize may be set"
type ConsistentHashLB struct {
	HTTPHeaderName         string      `json:"httpHeaderName,omitempty"`
	HTTPCookie             *HTTPCookie `json:"httpCookie,omitempty"`
	UseSourceIP            bool        `json:"useSourceIp,omitempty"`
	HTTPQueryParameterName string      `json:"httpQueryParameterName,omitempty"`
	RingHash               *RingHash   `json:"ringHash,omitempty"`
	Maglev                 *MagLev     `json:"maglev,omitempty"`
	// MinimumRingSize is the deprecated form of ringHash.minimumRingSize.
	// +kubebuilder:validation:Minimum=0
	MinimumRingSize int64 `json:"minimumRingSize,omitempty"`
}

// HTTPCookie is the cookie hashed for affinity; with a ttl the proxy sets
// it when absent.
type HTTPCookie struct {
	// +kubebuilder:validation:MinLength=1
	Name       string            `json:"name"`
	Path       string            `json:"path,omitempty"`
	TTL        *Timeout          `json:"ttl,omitempty"`
	Attributes []CookieAttribute `json:"attributes,omitempty"`
}

// CookieAttribute is an extra attribute of a generated cookie.
type CookieAttribute struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// RingHash configures the ring-hash load balancer.
type RingHash struct {
	// +kubebuilder:validation:Minimum=0
	MinimumRingSize int64 `json:"minimumRingSize,omitempty"`
}

// MagLev configures the Maglev load balancer.
type MagLev struct {
	// +kubebuilder:validation:Minimum=0
	TableSize int64 `json:"tableSize,omitempty"`
}

// LocalityLoadBalancerSetting shapes traffic across localities.
type LocalityLoadBalancerSetting struct {
	Distribute       []LocalityDistribute `json:"distribute,omitempty"`
	Failover         []LocalityFailover   `json:"failover,omitempty"`
	FailoverPriority []string             `json:"failoverPriority,omitempty"`
	Enabled          *bool                `json:"enabled,omitempty"`
}

// LocalityDistribute sends traffic from one locality to others by weight.
type LocalityDistribute struct {
	From string           `json:"from,omitempty"`
	To   map[string]int32 `json:"to,omitempty"`
}

// LocalityFailover names the region to fail over to.
type LocalityFailover struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// WarmupConfiguration ramps traffic to new endpoints up slowly.
type WarmupConfiguration struct {
	Duration Duration `json:"duration"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MinimumPercent *float64 `json:"minimumPercent,omitempty"`
	// +kubebuilder:validation:Minimum=1
	Aggression *float64 `json:"aggression,omitempty"`
}

// ConnectionPoolSettings are the circuit-breaker limits of the upstream
// connection pool.
type ConnectionPoolSettings struct {
	TCP  *TCPSettings  `json:"tcp,omitempty"`
	HTTP *HTTPSettings `json:"http,omitempty"`
}

// TCPSettings apply to HTTP and TCP upstream connections.
type TCPSettings struct {
	// +kubebuilder:validation:Minimum=0
	MaxConnections        int32         `json:"maxConnections,omitempty"`
	ConnectTimeout        *Duration     `json:"connectTimeout,omitempty"`
	TCPKeepalive          *TCPKeepalive `json:"tcpKeepalive,omitempty"`
	MaxConnectionDuration *Duration     `json:"maxConnectionDuration,omitempty"`
	IdleTimeout           *Duration     `json:"idleTimeout,omitempty"`
}

// TCPKeepalive sets SO_KEEPALIVE on upstream sockets.
type TCPKeepalive struct {
	// +kubebuilder:validation:Minimum=0
	Probes   int32     `json:"probes,omitempty"`
	Time     *Duration `json:"time,omitempty"`
	Interval *Duration `json:"interval,omitempty"`
}

// HTTPSettings apply to HTTP/1.1, HTTP/2 and gRPC upstreams.
type HTTPSettings struct {
	// +kubebuilder:validation:Minimum=0
	HTTP1MaxPendingRequests int32 `json:"http1MaxPendingRequests,omitempty"`
	// +kubebuilder:validation:Minimum=0
	HTTP2MaxRequests int32 `json:"http2MaxRequests,omitempty"`
	// +kubebuilder:validation:Minimum=0
	MaxRequestsPerConnection int32 `json:"maxRequestsPerConnection,omitempty"`
	// +kubebuilder:validation:Minimum=0
	MaxRetries  int32     `json:"maxRetries,omitempty"`
	IdleTimeout *Duration `json:"idleTimeout,omitempty"`
	// +kubebuilder:validation:Enum=DEFAULT;DO_NOT_UPGRADE;UPGRADE
	H2UpgradePolicy   string `json:"h2UpgradePolicy,omitempty"`
	UseClientProtocol bool   `json:"useClientProtocol,omitempty"`
	// +kubebuilder:validation:Minimum=0
	MaxConcurrentStreams int32 `json:"maxConcurrentStreams,omitempty"`
}

// OutlierDetection ejects failing endpoints from the pool for a while.
type OutlierDetection struct {
	SplitExternalLocalOriginErrors bool `json:"splitExternalLocalOriginErrors,omitempty"`
	// +kubebuilder:validation:Minimum=0
	ConsecutiveLocalOriginFailures *int32 `json:"consecutiveLocalOriginFailures,omitempty"`
	// +kubebuilder:validation:Minimum=0
	ConsecutiveGatewayErrors *int32 `json:"consecutiveGatewayErrors,omitempty"`
	// +kubebuilder:validation:Minimum=0
	Consecutive5xxErrors *int32 `json:"consecutive5xxErrors,omitempty"`
	// ConsecutiveErrors is the deprecated form of consecutive5xxErrors.
	// +kubebuilder:validation:Minimum=0
	ConsecutiveErrors int32     `json:"consecutiveErrors,omitempty"`
	Interval          *Duration `json:"interval,omitempty"`
	BaseEjectionTime  *Duration `json:"baseEjectionTime,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MaxEjectionPercent int32 `json:"maxEjectionPercent,omitempty"`
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	MinHealthPercent int32 `json:"minHealthPercent,omitempty"`
}

// ClientTLSSettings originate TLS to the upstream.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.credentialName) && (has(self.clientCertificate) || has(self.privateKey) || has(self.caCertificates)))",message="credentialName cannot be combined with clientCertificate, privateKey or caCertificates"
// +kubebuilder:validation:XValidation:rule="!has(self.mode) || self.mode != 'MUTUAL' || has(self.credentialName) || (has(self.clientCertificate) && has(self.privateKey))",message="MUTUAL mode requires credentialName or both clientCertificate and privateKey"
type ClientTLSSettings struct {
	// +kubebuilder:validation:Enum=DISABLE;SIMPLE;MUTUAL;ISTIO_MUTUAL
	// +kubebuilder:validation:MaxLength=32
	Mode               string   `json:"mode,omitempty"`
	ClientCertificate  string   `json:"clientCertificate,omitempty"`
	PrivateKey         string   `json:"privateKey,omitempty"`
	CACertificates     string   `json:"caCertificates,omitempty"`
	CredentialName     string   `json:"credentialName,omitempty"`
	SubjectAltNames    []string `json:"subjectAltNames,omitempty"`
	SNI                string   `json:"sni,omitempty"`
	InsecureSkipVerify *bool    `json:"insecureSkipVerify,omitempty"`
	CACrl              string   `json:"caCrl,omitempty"`
}
