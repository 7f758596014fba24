package manager

import (
	"context"
	"time"

	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/sailplane/sailplane/internal/memlimit"
)

// memoryReturnInterval is how often the returner looks for the end of a
// burst: a mass connect's memory comes back within about two intervals
// of the last push.
const memoryReturnInterval = 5 * time.Second

// returnerRunnable gives a burst's freed memory back to the system on
// every replica (see memlimit.Returner).
type returnerRunnable struct{ r *memlimit.Returner }

func (returnerRunnable) NeedLeaderElection() bool { return false }

func (x returnerRunnable) Start(ctx context.Context) error {
	return x.r.Run(ctx, memoryReturnInterval)
}

func addMemoryReturner(m ctrlmanager.Manager) error {
	return m.Add(returnerRunnable{r: memlimit.DefaultReturner()})
}
