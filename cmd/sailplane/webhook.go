package main

import (
	"github.com/sailplane/sailplane/internal/webhookcert"
	"github.com/sailplane/sailplane/webhook"
)

// webhookOptions wires the injector. The serving certificate is managed
// only when the webhook server listens: with --webhook-address empty (the
// local default) there is nothing to serve.
func (o *options) webhookOptions() webhook.Options {
	w := webhook.Options{Settings: o.inject}
	if o.manager.WebhookAddress != "" {
		w.Certificates = &webhookcert.Options{Namespace: o.manager.Namespace, CertDir: o.manager.WebhookCertDir}
	}
	return w
}
