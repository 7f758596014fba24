package manager

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/sailplane/sailplane/internal/memlimit"
	"github.com/sailplane/sailplane/internal/metrics"
)

// memoryReturnInterval is how often the returner looks for the end of a
// burst: a mass connect's memory comes back within about two intervals
// of the last push.
const memoryReturnInterval = 5 * time.Second

// MemoryReturnsMetric counts the returns of freed memory to the system:
// about one per burst (a mass connect, a full reconcile at scale), none
// while the control plane is idle.
const MemoryReturnsMetric = "sailplane_memory_returns_total"

// returnerRunnable gives a burst's freed memory back to the system on
// every replica (see memlimit.Returner).
type returnerRunnable struct {
	r       *memlimit.Returner
	returns prometheus.Counter
}

func (returnerRunnable) NeedLeaderElection() bool { return false }

func (x returnerRunnable) Start(ctx context.Context) error {
	return x.r.Run(ctx, memoryReturnInterval, func() {
		x.returns.Inc()
		memoryReturns.Add(1)
	})
}

// memoryReturns is the counter's value for a reader in the same process
// that must not disturb what it watches: gathering the whole registry
// allocates about a megabyte, and a caller polling it made the process
// look busy to the returner it was waiting for.
var memoryReturns atomic.Int64

// MemoryReturns is how many times this process returned freed memory.
func MemoryReturns() int { return int(memoryReturns.Load()) }

func addMemoryReturner(m ctrlmanager.Manager) error {
	returns := metrics.Register(ctrlmetrics.Registry, prometheus.NewCounter(prometheus.CounterOpts{
		Name: MemoryReturnsMetric,
		Help: "Times the control plane returned a burst's freed memory to the system at once (debug.FreeOSMemory).",
	}))
	return m.Add(returnerRunnable{r: memlimit.DefaultReturner(), returns: returns})
}
