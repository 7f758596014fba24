package webhookcert

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// addRenewer adds the leader's controller. It watches the webhook
// configuration, so a re-created configuration (empty caBundle, every pod
// creation failing) is repaired at once, and requeues itself every Resync
// to renew the pair in time.
func addRenewer(mgr manager.Manager, s *store) error {
	named := predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetName() == s.opts.WebhookConfigName })
	return builder.ControllerManagedBy(mgr).
		Named("webhook-cert").
		For(&admissionregistrationv1.MutatingWebhookConfiguration{}, builder.WithPredicates(named)).
		Complete(reconcile.Func(func(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
			return reconcile.Result{RequeueAfter: s.opts.Resync}, s.renew(ctx)
		}))
}

// renew keeps the Secret servable and caBundle equal to its ca.crt. A pair
// due for renewal is replaced in an order that keeps every replica trusted:
// caBundle first gains the new CA (it still holds the old one), then the
// Secret changes and replicas pick the new pair up on their own time.
func (s *store) renew(ctx context.Context) error {
	sec, b, err := s.load(ctx)
	if err != nil {
		return err
	}
	if sec == nil {
		// Deleted while running: make a new one, as a starting replica would.
		if b, err = s.ensure(ctx); err != nil {
			return err
		}
		return s.patchCABundle(ctx, b.CAPEM)
	}
	due, problem := b.Check(s.opts.DNSNames(), s.opts.Now(), s.opts.RenewBefore)
	if !due && problem == nil {
		return s.patchCABundle(ctx, b.CAPEM)
	}
	nb, err := Renewed(b, s.opts.DNSNames(), s.opts.Now(), s.opts.Validity)
	if err != nil {
		return err
	}
	if err := s.patchCABundle(ctx, nb.CAPEM); err != nil {
		return err
	}
	if err := s.update(ctx, sec, nb); err != nil {
		return fmt.Errorf("renewing the webhook certificate: %w", err)
	}
	return nil
}
