package webhookcert

import (
	"context"
	"time"
)

// reloader runs on every replica: it copies the Secret into the
// certificate directory whenever the leader has renewed it. Polling is
// enough: a renewed pair is written a month before the old one expires,
// and the old CA stays in caBundle meanwhile.
type reloader struct{ s *store }

// NeedLeaderElection is false: every replica serves the webhook.
func (r *reloader) NeedLeaderElection() bool { return false }

func (r *reloader) Start(ctx context.Context) error {
	t := time.NewTicker(r.s.opts.Resync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.reload(ctx)
		}
	}
}

func (r *reloader) reload(ctx context.Context) {
	sec, b, err := r.s.load(ctx)
	if err != nil || sec == nil {
		if err != nil {
			r.s.log.Error(err, "reloading the webhook certificate")
		}
		return
	}
	// Never install a pair that cannot be served; the leader will fix the
	// Secret and the next round picks it up.
	if _, err := b.Check(r.s.opts.DNSNames(), r.s.opts.Now(), 0); err != nil {
		r.s.log.Info("not installing the stored webhook certificate", "reason", err.Error())
		return
	}
	changed, err := writeFiles(r.s.opts.CertDir, b)
	if err != nil {
		r.s.log.Error(err, "writing the webhook certificate")
	} else if changed {
		r.s.log.Info("installed the renewed webhook certificate", "dir", r.s.opts.CertDir)
	}
}
