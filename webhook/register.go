package webhook

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/sailplane/sailplane/internal/inject"
	"github.com/sailplane/sailplane/internal/webhookcert"
)

// InjectPath is where the API server sends pod admissions
// (config/webhook/mutating_webhook_configuration.yaml).
const InjectPath = "/inject"

// Options wire the injector into a manager.
type Options struct {
	Settings inject.Settings
	// Certificates, when set, keeps the webhook's serving certificate
	// (self-generated CA, Secret, caBundle) unless cert-manager provides it.
	// Nil when something else writes the certificate files (tests, local).
	Certificates *webhookcert.Options
}

// Register adds the injector at InjectPath to the manager's webhook server.
// With Certificates it first makes sure the certificate files exist, since
// the webhook server refuses to start without them; call it before
// mgr.Start.
func Register(ctx context.Context, mgr manager.Manager, opts Options, log logr.Logger) error {
	if err := opts.Settings.Validate(); err != nil {
		return fmt.Errorf("injection settings: %w", err)
	}
	if opts.Certificates != nil {
		if err := webhookcert.Setup(ctx, mgr, *opts.Certificates, log.WithName("webhook-cert")); err != nil {
			return err
		}
	}
	injector := &Injector{
		Settings:   opts.Settings,
		Namespaces: mgr.GetClient(),
		Decoder:    admission.NewDecoder(mgr.GetScheme()),
		Log:        log.WithName("injector"),
	}
	mgr.GetWebhookServer().Register(InjectPath, &admission.Webhook{Handler: injector})
	log.Info("sidecar injector registered", "path", InjectPath, "proxyImage", opts.Settings.ProxyImage,
		"xdsAddress", opts.Settings.XDSAddress, "nativeSidecars", opts.Settings.NativeSidecars,
		"failurePolicy", opts.Settings.FailurePolicy)
	return nil
}
