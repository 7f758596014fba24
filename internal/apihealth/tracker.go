package apihealth

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Tracker remembers, per resource the informers read, since when its
// requests have been failing. A resource that answers is healthy again.
type Tracker struct {
	log logr.Logger
	now func() time.Time

	mu      sync.Mutex
	failing map[string]failure
}

// failure is a resource's current run of failed requests.
type failure struct {
	since time.Time
	err   error
}

// NewTracker returns a tracker that logs when a resource becomes
// unreachable and when it answers again.
func NewTracker(log logr.Logger) *Tracker {
	return &Tracker{log: log, now: time.Now, failing: map[string]failure{}}
}

// Failed records a failed request for the resource.
func (t *Tracker) Failed(resource string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, already := t.failing[resource]
	if !already {
		f.since = t.now()
		t.log.Info("API server unreachable; serving the last configuration", "resource", resource, "error", err.Error())
	}
	f.err = err
	t.failing[resource] = f
}

// Succeeded records an answer from the API server for the resource.
func (t *Tracker) Succeeded(resource string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f, ok := t.failing[resource]; ok {
		delete(t.failing, resource)
		t.log.Info("API server reachable again", "resource", resource, "after", t.now().Sub(f.since).Round(time.Millisecond).String())
	}
}

// Check is a readiness check: it fails while some resource has been
// unreachable for longer than grace.
func (t *Tracker) Check(grace time.Duration) func(*http.Request) error {
	return func(*http.Request) error {
		t.mu.Lock()
		defer t.mu.Unlock()
		return verdict(t.now(), t.failing, grace)
	}
}

// verdict names the resource unreachable longest, if that is longer than
// grace; shorter runs are the blips a watch restart or a rolling API server
// upgrade causes, and not worth taking the replica out of service for.
func verdict(now time.Time, failing map[string]failure, grace time.Duration) error {
	resources := make([]string, 0, len(failing))
	for r := range failing {
		resources = append(resources, r)
	}
	sort.Slice(resources, func(i, j int) bool {
		a, b := failing[resources[i]], failing[resources[j]]
		if !a.since.Equal(b.since) {
			return a.since.Before(b.since)
		}
		return resources[i] < resources[j]
	})
	if len(resources) == 0 {
		return nil
	}
	worst := failing[resources[0]]
	down := now.Sub(worst.since)
	if down <= grace {
		return nil
	}
	return fmt.Errorf("watches broken: %d resource(s) unreachable, %s for %s (grace %s): %v",
		len(resources), resources[0], down.Round(time.Second), grace, worst.err)
}
