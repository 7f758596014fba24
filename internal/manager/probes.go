package manager

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
)

// Probe paths, as kubelet and istiod's users expect them on the monitoring port.
const (
	livenessPath  = "/healthz"
	readinessPath = "/readyz"
)

// cacheSyncWait bounds how long a readiness request waits for the informer
// cache; kubelet's default probe timeout is 1s.
const cacheSyncWait = 500 * time.Millisecond

// checks is a named set of health checks served as one endpoint.
// controller-runtime only serves its checks on a port of their own; istiod
// serves probes next to /metrics on 15014, so sailplane keeps the checks here
// and mounts them on the metrics server.
type checks struct {
	mu     sync.RWMutex
	byName map[string]healthz.Checker
}

func newChecks() *checks {
	return &checks{byName: map[string]healthz.Checker{}}
}

func (c *checks) add(name string, check healthz.Checker) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.byName[name]; dup {
		return fmt.Errorf("health check %q is already registered", name)
	}
	c.byName[name] = check
	return nil
}

// ServeHTTP answers from a copy of the checks, so a check added while the
// server runs never races with a request.
func (c *checks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.RLock()
	snapshot := maps.Clone(c.byName)
	c.mu.RUnlock()
	(&healthz.Handler{Checks: snapshot}).ServeHTTP(w, r)
}

// probeHandlers mounts both endpoints with and without a sub-path, as
// controller-runtime does, so /healthz and /healthz/<check> both work.
func probeHandlers(live, ready *checks) map[string]http.Handler {
	return map[string]http.Handler{
		livenessPath:        http.StripPrefix(livenessPath, live),
		livenessPath + "/":  http.StripPrefix(livenessPath, live),
		readinessPath:       http.StripPrefix(readinessPath, ready),
		readinessPath + "/": http.StripPrefix(readinessPath, ready),
	}
}

// cacheSynced reports ready once the manager's informers have started and
// synced: before that, nothing sailplane serves reflects the cluster.
func cacheSynced(c cache.Cache) healthz.Checker {
	return func(req *http.Request) error {
		ctx, cancel := context.WithTimeout(req.Context(), cacheSyncWait)
		defer cancel()
		if !c.WaitForCacheSync(ctx) {
			return errors.New("informer cache has not synced yet")
		}
		return nil
	}
}

// monitoredManager routes health checks to the monitoring port's endpoints;
// everything else is controller-runtime's manager unchanged.
type monitoredManager struct {
	ctrlmanager.Manager
	live, ready *checks
}

// AddHealthzCheck adds a liveness check served under /healthz.
func (m *monitoredManager) AddHealthzCheck(name string, check healthz.Checker) error {
	return m.live.add(name, check)
}

// AddReadyzCheck adds a readiness check served under /readyz.
func (m *monitoredManager) AddReadyzCheck(name string, check healthz.Checker) error {
	return m.ready.add(name, check)
}
