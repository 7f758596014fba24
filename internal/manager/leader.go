package manager

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
)

// controller-runtime's lease timings: a leader that cannot renew for
// renewDeadline steps down; another may take over after leaseDuration.
const (
	leaseDuration = 15 * time.Second
	renewDeadline = 10 * time.Second
	retryPeriod   = 2 * time.Second
)

// leaderOnly runs work while this replica holds the Lease, and campaigns
// again when it loses it. controller-runtime's own leader election ends the
// whole process on a lost lease, which an API-server outage longer than
// renewDeadline causes: the leader would stop serving xDS exactly when no
// replica can start up again. Here losing the lease only pauses the work
// (status writes); xDS is served throughout.
type leaderOnly struct {
	cfg       *rest.Config
	namespace string
	id        string
	work      ctrlmanager.Runnable
	log       logr.Logger
}

// NeedLeaderElection is false: the runnable elects for itself.
func (l *leaderOnly) NeedLeaderElection() bool { return false }

// Start campaigns until ctx ends.
func (l *leaderOnly) Start(ctx context.Context) error {
	host, err := os.Hostname()
	if err != nil {
		return err
	}
	identity := host + "_" + string(uuid.NewUUID())
	lock, err := resourcelock.NewFromKubeconfig(resourcelock.LeasesResourceLock, l.namespace, l.id,
		resourcelock.ResourceLockConfig{Identity: identity}, l.cfg, renewDeadline)
	if err != nil {
		return fmt.Errorf("leader election lock %s/%s: %w", l.namespace, l.id, err)
	}
	// working is held while the work runs: a new campaign waits for the
	// last term's work to end, and a term's work that starts late sees its
	// term is over.
	var working sync.Mutex
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: lock, Name: l.id, ReleaseOnCancel: true,
		LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(leading context.Context) {
				working.Lock()
				defer working.Unlock()
				if leading.Err() != nil {
					return
				}
				l.log.Info("elected leader", "lease", l.namespace+"/"+l.id, "identity", identity)
				if err := l.work.Start(leading); err != nil {
					l.log.Error(err, "leader-only work stopped")
				}
			},
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		elector.Run(ctx)
		// The work must have stopped before another campaign: two leaders
		// writing at once is what the lease is for.
		working.Lock()
		working.Unlock() //nolint:staticcheck // a barrier, not a critical section
		if ctx.Err() == nil {
			l.log.Info("lost the lease; leader-only work paused, campaigning again", "lease", l.namespace+"/"+l.id)
		}
	}
	return nil
}
