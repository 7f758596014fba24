// Package defaults holds, as named constants, every Istio default and
// well-known number sailplane reproduces: ports, the proxy's identity, and
// the policies Istio applies when a rule says nothing. Anything an Istio
// user would recognise lives here and nowhere else.
package defaults

import "time"

// Ports of an injected pod and of the control plane.
const (
	OutboundCapturePort  = 15001 // virtualOutbound
	InboundCapturePort   = 15006 // virtualInbound
	MergedMetricsPort    = 15020
	HealthPort           = 15021 // /healthz/ready
	EnvoyPrometheusPort  = 15090 // /stats/prometheus
	InboundTunnelPort    = 15008 // HBONE; never captured
	XDSPlaintextPort     = 15010
	XDSTLSPort           = 15012
	MonitoringPort       = 15014
	WebhookPort          = 15017
	ProxyUID             = 1337
	ProxyGID             = 1337
	InboundPassthroughIP = "127.0.0.6" // source address of inbound passthrough traffic
	LocalhostIP          = "127.0.0.1"
	// InboundPassthroughIPv6 and LocalhostIPv6 are the IPv6 twins of the
	// two addresses above (Istio adds ::6 to lo because IPv6 loopback is a
	// single /128, unlike IPv4's 127.0.0.0/8).
	InboundPassthroughIPv6 = "::6"
	LocalhostIPv6          = "::1"
)

// AppProbePort is where Istio's agent answers rewritten application probes
// (/app-health/<container>/livez|readyz|startupz). sailplane has no agent:
// the injected Envoy answers there instead (it is MergedMetricsPort's
// number, which istio-init already never captures).
const AppProbePort = 15020

// Inbound TPROXY interception (istio-iptables -m TPROXY).
const (
	// InboundTProxyMark marks packets diverted to the proxy; policy routing
	// sends packets with this mark to lo (istio-iptables -t).
	InboundTProxyMark = 1337
	// InboundTProxyRouteTable holds the "everything is local" route used for
	// marked packets (istio-iptables -r).
	InboundTProxyRouteTable = 133
	// OutboundTProxyMark marks the proxy's own connections to the pod over
	// lo so they are told apart from the application's.
	OutboundTProxyMark = 1338
)

// HealthReadyPath is the proxy's readiness endpoint.
const HealthReadyPath = "/healthz/ready"

// DomainSuffix is the cluster's DNS domain.
const DomainSuffix = "cluster.local"

// MeshGateway is the reserved gateway name meaning "every sidecar".
const MeshGateway = "mesh"

// OutboundAllowAny and OutboundRegistryOnly are Istio's
// outboundTrafficPolicy modes: forward traffic to hosts outside the
// registry (PassthroughCluster), or drop it (BlackHoleCluster, and 502 for
// HTTP).
const (
	OutboundAllowAny     = "ALLOW_ANY"
	OutboundRegistryOnly = "REGISTRY_ONLY"
)

// OutboundTrafficPolicyMode is the mesh-wide outboundTrafficPolicy.mode
// when mesh config sets none: Istio's default, ALLOW_ANY. A Sidecar's own
// outboundTrafficPolicy overrides it for the workloads it applies to.
const OutboundTrafficPolicyMode = OutboundAllowAny

// RegistryOnlyHTTPStatus is what Istio's sidecars answer an HTTP request
// for a host outside the registry under REGISTRY_ONLY (virtual host
// block_all).
const RegistryOnlyHTTPStatus = 502

// RootNamespace holds mesh-wide configuration (DestinationRules there apply
// to every namespace that has none of its own).
const RootNamespace = "istio-system"

// Cluster defaults.
const (
	// ConnectTimeout applies when no DestinationRule sets connectTimeout.
	ConnectTimeout = 10 * time.Second
	// MaxCircuitBreaker is Envoy's "no limit" for every threshold, which
	// Istio sets unless connectionPool says otherwise.
	MaxCircuitBreaker = 4294967295
)

// Default retry policy Istio applies to routes whose VirtualService has no
// retries field.
const (
	RetryAttempts            = 2
	RetryOn                  = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
	RetryHostPredicate       = "envoy.retry_host_predicates.previous_hosts"
	RetryHostSelectAttempts  = 5
	MirrorPercentWhenMissing = 100.0
)

// RouteTimeout is Istio's default route timeout: disabled.
const RouteTimeout = 0 * time.Second

// Retry priority Istio configures when a VirtualService sets
// retryRemoteLocalities: retries prefer localities (priorities) not tried yet,
// recomputing the excluded set every two attempts.
const (
	RetryRemoteLocalitiesPriority        = "envoy.retry_priorities.previous_priorities"
	RetryRemoteLocalitiesUpdateFrequency = 2
)

// FaultPercentWhenMissing is the share of requests a fault delay or abort
// without a percentage applies to. Istio documents "if not specified, no
// request will be delayed/aborted": it leaves Envoy's percentage unset,
// which Envoy reads as 0.
const FaultPercentWhenMissing = 0.0

// RedirectCode is the status of a redirect without redirectCode.
const RedirectCode = 301

// Load-balancer defaults Istio writes when a DestinationRule leaves them out.
const (
	// RingHashMinimumRingSize is the ring size for consistentHash without
	// ringHash.minimumRingSize (Envoy's default, written out by Istio).
	RingHashMinimumRingSize = 1024
	// WarmupAggression ramps traffic to new endpoints up linearly.
	WarmupAggression = 1.0
	// WarmupMinimumPercent is the weight a new endpoint starts at, in per
	// cent of its full weight.
	WarmupMinimumPercent = 10.0
)

// SystemCACertificates is the CA bundle of the proxy image, used to verify
// upstream servers for DestinationRule TLS without caCertificates (Istio
// verifies against the system roots since 1.20).
const SystemCACertificates = "/etc/ssl/certs/ca-certificates.crt"

// Sidecar injection: the names and values Istio's injector writes, which
// tools (Kiali, istioctl) and users' habits rely on.
const (
	ProxyContainerName = "istio-proxy"
	InitContainerName  = "istio-init"
	// AdminPort is Envoy's admin interface, bound to 127.0.0.1 only.
	AdminPort = 15000
	// InterceptionMode is how istio-init redirects traffic by default.
	InterceptionMode = "REDIRECT"
	// IncludeOutboundIPRanges and IncludeInboundPorts capture everything
	// ("*") unless an annotation narrows them.
	IncludeOutboundIPRanges = "*"
	IncludeInboundPorts     = "*"
	// ProxyConcurrency is the number of Envoy worker threads.
	ProxyConcurrency = 2
	// Proxy resources of Istio's default profile.
	ProxyCPURequest    = "100m"
	ProxyMemoryRequest = "128Mi"
	ProxyCPULimit      = "2000m"
	ProxyMemoryLimit   = "1024Mi"
)

// IstioSidecarStatusAnnotation is what Istio's injector writes on every pod
// it injects; a pod with it runs a sidecar (and takes mutual TLS).
const IstioSidecarStatusAnnotation = "sidecar.istio.io/status"

// PeerAuthenticationMode is the mutual TLS mode of a workload port no
// PeerAuthentication decides: Istio's PERMISSIVE (plaintext and mutual TLS).
const PeerAuthenticationMode = "PERMISSIVE"

// Namespaces Istio never injects into, whatever their labels say.
const (
	KubeSystemNamespace = "kube-system"
	KubePublicNamespace = "kube-public"
)

// Trust: the mesh CA, workload identities and the authenticated xDS port.
// The names are Istio's, so Istio's tools and habits find them.
const (
	// TrustDomain is the SPIFFE trust domain of workload identities.
	TrustDomain = "cluster.local"
	// WorkloadCertTTL is a workload certificate's lifetime; it is renewed
	// once half of it has passed (Istio's SECRET_GRACE_PERIOD_RATIO 0.5).
	WorkloadCertTTL = 24 * time.Hour
	// CACertTTL is the lifetime of the self-signed root sailplane makes.
	CACertTTL = 10 * 365 * 24 * time.Hour
	// TokenAudience is the audience of the service-account tokens proxies
	// present on the authenticated xDS port.
	TokenAudience = "istio-ca"
	// SelfSignedCASecret holds the self-signed root in the control plane's
	// namespace (keys ca-cert.pem, ca-key.pem).
	SelfSignedCASecret = "istio-ca-secret"
	// PluggedCASecret, when present in the control plane's namespace, holds
	// an intermediate CA (ca-cert.pem, ca-key.pem, root-cert.pem,
	// cert-chain.pem) that sailplane signs with instead.
	PluggedCASecret = "cacerts"
	// RootCertConfigMap is published in every namespace with the trust
	// bundle under RootCertKey.
	RootCertConfigMap = "istio-ca-root-cert"
	RootCertKey       = "root-cert.pem"
	// TokenVolume, TokenPath and TokenExpirationSeconds describe the
	// projected token an injected proxy presents.
	TokenVolume            = "istio-token"
	TokenDir               = "/var/run/secrets/tokens"
	TokenPath              = TokenDir + "/istio-token"
	TokenExpirationSeconds = 43200
	// RootCertVolume and RootCertDir mount RootCertConfigMap in the proxy.
	RootCertVolume = "istiod-ca-cert"
	RootCertDir    = "/var/run/secrets/istio"
	// ControlPlaneService is the Service in front of sailplane.
	ControlPlaneService = "sailplane"
	// ControlPlaneNamespace is where the deployment puts sailplane
	// (manager.DefaultNamespace is the same value).
	ControlPlaneNamespace = "sailplane-system"
	// SailctlServiceAccount, in the control plane's namespace, is the
	// identity sailctl asks a token for (TokenRequest) when the kubeconfig
	// holds no bearer token, e.g. a client-certificate user.
	SailctlServiceAccount = "sailctl"
)

// The mesh CA's material, in the layout istiod reads and writes, so a
// Secret made for istiod (or by it) works here unchanged.
const (
	// CACertKey holds the signing certificate: the self-signed root in
	// SelfSignedCASecret, the intermediate in PluggedCASecret.
	CACertKey = "ca-cert.pem"
	// CAKeyKey holds the signing certificate's private key.
	CAKeyKey = "ca-key.pem"
	// CertChainKey holds, in PluggedCASecret, the chain from CACertKey up
	// to the root.
	CertChainKey = "cert-chain.pem"
	// PrivateKeyKey is written empty in SelfSignedCASecret, as istiod does.
	PrivateKeyKey = "key.pem"
	// SelfSignedCASecretType is the type istiod gives SelfSignedCASecret.
	SelfSignedCASecretType = "istio.io/ca-root"
	// MaxWorkloadCertTTL caps the validity a CSR may ask for (Istio's
	// MAX_WORKLOAD_CERT_TTL default, 90 days).
	MaxWorkloadCertTTL = 90 * 24 * time.Hour
	// ClockSkewBackdate is how far before "now" an issued certificate
	// starts, so a peer whose clock is slightly behind accepts it. It is
	// capped at a tenth of a short lifetime.
	ClockSkewBackdate = time.Minute
	// IstioConfigLabel marks objects istiod writes ("istio.io/config":
	// "true"); the root-certificate ConfigMaps carry it.
	IstioConfigLabel = "istio.io/config"
	// KubeNodeLeaseNamespace is skipped like kube-system and kube-public
	// when publishing RootCertConfigMap, as istiod does.
	KubeNodeLeaseNamespace = "kube-node-lease"
)

// NonRegistryHostPort is the one port on which a sidecar serves the
// VirtualService hosts that name no service when the VirtualService names
// no service at all: Istio's route building puts such hosts only into
// route configuration "80" (pilot's route.go calls it a hack, and keeps it).
const NonRegistryHostPort = 80

// EnvoyRegexMaxProgramSize is Envoy's default for the runtime key
// re2.max_program_size.error_level: a regex whose RE2 program is larger is
// refused, and with it the whole resource that carries it. Neither the
// injected bootstrap nor config/gateway's overrides the key.
const EnvoyRegexMaxProgramSize = 100

// Protocol detection (sniffing) on ports whose protocol is not declared.
const (
	// ProtocolDetectionTimeout is meshConfig.protocolDetectionTimeout's
	// default: 0s, no timeout. A client that never sends (a server-first
	// protocol on an undeclared port) waits for the server forever; such
	// ports must declare their protocol.
	ProtocolDetectionTimeout = 0 * time.Second
)

// NotSniffedPorts are the well-known ports of server-first protocols
// (SMTP, DNS, MySQL, MongoDB): a Kubernetes service port there that names
// no protocol is TCP, not sniffed, since detection would wait for a client
// that waits for the server.
var NotSniffedPorts = map[uint32]bool{25: true, 53: true, 3306: true, 27017: true}

// SniffedHTTPProtocols are the application protocols Envoy's
// http_inspector reports for plain-text HTTP that Istio routes as HTTP on a
// sniffed port (HTTP/1.0 only with PILOT_HTTP10).
var SniffedHTTPProtocols = []string{"http/1.1", "h2c"}

// Telemetry defaults of Istio's mesh configuration.
const (
	// TracingSampling is meshConfig.defaultConfig.tracing.sampling's
	// default, in per cent of requests.
	TracingSampling = 1.0
	// ZipkinCollectorPath is where Istio's zipkin provider posts spans.
	ZipkinCollectorPath = "/api/v2/spans"
	// TelemetryCollectorTimeout is the request timeout of an OpenTelemetry
	// collector over HTTP when the provider sets none (Envoy requires one;
	// the value is sailplane's choice).
	TelemetryCollectorTimeout = 5 * time.Second
)
