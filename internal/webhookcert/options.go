package webhookcert

import (
	"time"

	"github.com/sailplane/sailplane/internal/defaults"
)

// Names from config/: the Secret (also cert-manager's secretName), the
// webhook configuration and the Service the API server calls.
const (
	DefaultSecretName        = "sailplane-webhook-cert"
	DefaultWebhookConfigName = "sailplane-sidecar-injector"
	DefaultServiceName       = "sailplane"
)

// Lifetimes. A year-long pair renewed a month ahead: renewal is rare, and a
// leader that is down for weeks still renews before anything expires.
const (
	DefaultValidity    = 365 * 24 * time.Hour
	DefaultRenewBefore = 30 * 24 * time.Hour
	// DefaultResync is how often the leader checks the pair and the
	// caBundle, and how often each replica reloads the Secret.
	DefaultResync = time.Minute
)

// Secret keys, as cert-manager writes them.
const (
	CertKey = "tls.crt"
	KeyKey  = "tls.key"
	CAKey   = "ca.crt"
)

// Options say where the certificate lives and how long it lasts.
type Options struct {
	// Namespace of the control plane: the Secret and the Service live there.
	Namespace         string
	CertDir           string // the webhook server reads tls.crt and tls.key here
	SecretName        string
	WebhookConfigName string
	ServiceName       string
	Validity          time.Duration
	RenewBefore       time.Duration
	Resync            time.Duration
	// Now is the clock (tests move it forward).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.SecretName == "" {
		o.SecretName = DefaultSecretName
	}
	if o.WebhookConfigName == "" {
		o.WebhookConfigName = DefaultWebhookConfigName
	}
	if o.ServiceName == "" {
		o.ServiceName = DefaultServiceName
	}
	if o.Validity == 0 {
		o.Validity = DefaultValidity
	}
	if o.RenewBefore == 0 {
		o.RenewBefore = DefaultRenewBefore
	}
	if o.Resync == 0 {
		o.Resync = DefaultResync
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// DNSNames are the names the API server may use for the webhook Service;
// it calls <service>.<namespace>.svc.
func (o Options) DNSNames() []string {
	svc, ns := o.ServiceName, o.Namespace
	return []string{
		svc + "." + ns + ".svc",
		svc + "." + ns + ".svc." + defaults.DomainSuffix,
		svc + "." + ns,
		svc,
	}
}
