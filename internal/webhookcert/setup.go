package webhookcert

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// Setup runs before the manager starts, on every replica. Unless
// cert-manager provides the certificate, it makes sure the Secret holds a
// servable pair, writes it to CertDir (the webhook server will not start
// without it), and adds the work that keeps it current: every replica
// reloads the Secret, and the leader renews the pair and keeps caBundle.
func Setup(ctx context.Context, mgr manager.Manager, opts Options, log logr.Logger) error {
	opts = opts.withDefaults()
	if opts.Namespace == "" || opts.CertDir == "" {
		return errors.New("webhook certificates: namespace and certificate directory must be set")
	}
	s := &store{reader: mgr.GetAPIReader(), writer: mgr.GetClient(), opts: opts, log: log}
	external, err := s.certManagerProvides(ctx)
	if err != nil || external {
		return err
	}
	b, err := s.ensure(ctx)
	if err != nil {
		return err
	}
	if _, err := writeFiles(opts.CertDir, b); err != nil {
		return err
	}
	if err := mgr.Add(&reloader{s: s}); err != nil {
		return err
	}
	return addRenewer(mgr, s)
}

// certManagerProvides is true when cert-manager owns the certificate: the
// webhook configuration carries cert-manager's CA injection annotation and
// the certificate files are already mounted. An annotation without files
// is a broken deployment, reported as such rather than papered over.
func (s *store) certManagerProvides(ctx context.Context) (bool, error) {
	cfg, err := s.getConfig(ctx)
	if err != nil {
		return false, err
	}
	a := certManagerAnnotation(cfg)
	if a == "" {
		return false, nil
	}
	if !haveFiles(s.opts.CertDir) {
		return false, fmt.Errorf("MutatingWebhookConfiguration %s has annotation %s, so cert-manager provides the "+
			"certificate, but %s holds no %s and %s: mount Secret %s there",
			cfg.Name, a, s.opts.CertDir, CertKey, KeyKey, s.opts.SecretName)
	}
	s.log.Info("cert-manager provides the webhook certificate; not managing it", "annotation", a, "dir", s.opts.CertDir)
	return true, nil
}
