package manager

import (
	"net"
	"strconv"
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/memlimit"
	"github.com/sailplane/sailplane/internal/xdsserver"
)

const (
	// DefaultNamespace is the control plane's own namespace when neither a
	// flag nor POD_NAMESPACE names one.
	DefaultNamespace = "sailplane-system"
	// DefaultLeaderElectionID names the Lease that replicas compete for.
	DefaultLeaderElectionID = "sailplane-leader.networking.istio.io"
	// DefaultWebhookCertDir is where config/manager mounts the webhook's
	// serving certificate (tls.crt, tls.key).
	DefaultWebhookCertDir = "/var/run/secrets/sailplane/webhook"
	// DefaultAPIOutageGrace rides out a watch restart or an API server's
	// rolling upgrade without leaving the Service's endpoints.
	DefaultAPIOutageGrace = 10 * time.Second
)

// Options configures the process-wide manager. The zero value is usable:
// New fills every empty field with its default, except WebhookAddress,
// where empty means "no webhook server" (DefaultOptions sets it).
type Options struct {
	// XDSAddress is where the plaintext ADS server listens (no secrets
	// there); empty turns it off.
	XDSAddress string
	// XDSSecureAddress is where the authenticated ADS server listens (TLS,
	// service-account tokens or mesh certificates, SDS, Istio's CSR API);
	// empty turns it off.
	XDSSecureAddress string
	// TrustDomain is the SPIFFE trust domain of workload identities.
	TrustDomain string
	// WorkloadCertTTL is a workload certificate's lifetime.
	WorkloadCertTTL time.Duration
	// PushBudgetMiB bounds the MiB of large xDS responses encoded and
	// waiting for the wire at once (a mass reconnect's memory); 0 is
	// unbounded. withDefaults does not touch it: DefaultOptions sets it.
	PushBudgetMiB int
	// LoadReportInterval is how often proxyless clients send load reports
	// (LRS), which become istio_requests_total; 0 is
	// xdsserver.DefaultLoadReportInterval.
	LoadReportInterval time.Duration
	// MonitoringAddress serves /metrics, /healthz and /readyz on one port,
	// like istiod's 15014.
	MonitoringAddress string
	// WebhookAddress is the admission webhook's host:port; empty turns the
	// webhook server off (no serving certificate needed, e.g. local mode).
	WebhookAddress string
	// WebhookCertDir holds the webhook's tls.crt and tls.key.
	WebhookCertDir string
	// Namespace is the control plane's own namespace; the leader-election
	// Lease lives there.
	Namespace string
	// LeaderElect makes replicas elect one leader for the work that must
	// not run twice (status writes).
	LeaderElect bool
	// LeaderElectionID is the Lease name.
	LeaderElectionID string
	// APIOutageGrace is how long the informers may fail to reach the API
	// server before /readyz reports it (the last configuration is served
	// throughout). Default: DefaultAPIOutageGrace.
	APIOutageGrace time.Duration
	// MemoryLimit is the Go runtime's soft memory limit (internal/memlimit:
	// "auto", "off" or a size). Default: memlimit.Auto, GOMEMLIMIT if set,
	// else 90% of the container's memory limit, else none.
	MemoryLimit string
}

// DefaultOptions returns the options of a production deployment: istiod's
// ports (plaintext and authenticated xDS, webhook), leader election off
// (the deployment turns it on, and turns plaintext xDS off).
func DefaultOptions() Options {
	o := Options{
		XDSAddress:       anyHost(defaults.XDSPlaintextPort),
		XDSSecureAddress: anyHost(defaults.XDSTLSPort),
		WebhookAddress:   anyHost(defaults.WebhookPort),
		PushBudgetMiB:    xdsserver.DefaultPushBudget >> 20,
	}
	return o.withDefaults()
}

// withDefaults fills the fields whose empty value has no meaning of its own.
func (o Options) withDefaults() Options {
	if o.TrustDomain == "" {
		o.TrustDomain = defaults.TrustDomain
	}
	if o.WorkloadCertTTL <= 0 {
		o.WorkloadCertTTL = defaults.WorkloadCertTTL
	}
	if o.MonitoringAddress == "" {
		o.MonitoringAddress = anyHost(defaults.MonitoringPort)
	}
	if o.WebhookCertDir == "" {
		o.WebhookCertDir = DefaultWebhookCertDir
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.LeaderElectionID == "" {
		o.LeaderElectionID = DefaultLeaderElectionID
	}
	if o.MemoryLimit == "" {
		o.MemoryLimit = memlimit.Auto
	}
	if o.APIOutageGrace <= 0 {
		o.APIOutageGrace = DefaultAPIOutageGrace
	}
	return o
}

// anyHost is ":<port>": listen on every interface, as istiod does.
func anyHost(port int) string {
	return net.JoinHostPort("", strconv.Itoa(port))
}
