package webhookcert

import (
	"bytes"
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Annotations by which cert-manager's cainjector owns a webhook's caBundle.
var certManagerAnnotations = []string{
	"cert-manager.io/inject-ca-from",
	"cert-manager.io/inject-ca-from-secret",
}

// getConfig returns the webhook configuration, or nil when it does not
// exist (not installed yet, or a local run).
func (s *store) getConfig(ctx context.Context) (*admissionregistrationv1.MutatingWebhookConfiguration, error) {
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{}
	err := s.reader.Get(ctx, client.ObjectKey{Name: s.opts.WebhookConfigName}, cfg)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading MutatingWebhookConfiguration %s: %w", s.opts.WebhookConfigName, err)
	}
	return cfg, nil
}

// certManagerAnnotation returns the cert-manager annotation on cfg, if any.
func certManagerAnnotation(cfg *admissionregistrationv1.MutatingWebhookConfiguration) string {
	if cfg == nil {
		return ""
	}
	for _, a := range certManagerAnnotations {
		if _, ok := cfg.Annotations[a]; ok {
			return a
		}
	}
	return ""
}

// patchCABundle makes every webhook of the configuration trust caPEM. The
// patch carries the resourceVersion it was computed from, so it never
// overwrites a concurrent change it did not see.
func (s *store) patchCABundle(ctx context.Context, caPEM []byte) error {
	cfg, err := s.getConfig(ctx)
	if err != nil {
		return err
	}
	if cfg == nil {
		s.log.V(1).Info("no webhook configuration to patch yet", "name", s.opts.WebhookConfigName)
		return nil
	}
	if a := certManagerAnnotation(cfg); a != "" {
		s.log.Info("the webhook configuration is now managed by cert-manager; leaving caBundle alone", "annotation", a)
		return nil
	}
	before := cfg.DeepCopy()
	changed := false
	for i := range cfg.Webhooks {
		if !bytes.Equal(cfg.Webhooks[i].ClientConfig.CABundle, caPEM) {
			cfg.Webhooks[i].ClientConfig.CABundle = caPEM
			changed = true
		}
	}
	if !changed {
		return nil
	}
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if err := s.writer.Patch(ctx, cfg, patch); err != nil {
		return fmt.Errorf("patching caBundle of MutatingWebhookConfiguration %s: %w", cfg.Name, err)
	}
	s.log.Info("patched caBundle", "webhookConfiguration", cfg.Name, "webhooks", len(cfg.Webhooks))
	return nil
}
