package apihealth

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Backoff is the delay between the transport's own retries: short enough
// that a change made right after the API server returns reaches proxies
// promptly, long enough not to spin (one request per informer per step).
type Backoff struct {
	Initial, Max time.Duration
}

// DefaultBackoff retries after 100 ms, doubling to 1 s.
var DefaultBackoff = Backoff{Initial: 100 * time.Millisecond, Max: time.Second}

// delay is the wait before retry number attempt (0 is the first retry).
func (b Backoff) delay(attempt int) time.Duration {
	d := b.Initial
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Transport wraps the informers' round tripper (see the package comment).
type Transport struct {
	Next    http.RoundTripper
	Tracker *Tracker
	Backoff Backoff
}

// Wrap returns a function for rest.Config.Wrap.
func Wrap(t *Tracker, b Backoff) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return &Transport{Next: next, Tracker: t, Backoff: b}
	}
}

// RoundTrip sends the request; a GET that fails to reach the server is sent
// again until it does or its context ends. Other methods are sent once:
// their callers decide about retrying a write.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resource := resourceOf(req)
	for attempt := 0; ; attempt++ {
		resp, err := t.Next.RoundTrip(req.Clone(req.Context()))
		if err == nil {
			t.record(resource, resp)
			return resp, nil
		}
		t.Tracker.Failed(resource, err)
		if !retryable(req) {
			return nil, err
		}
		if waitErr := sleep(req.Context(), t.Backoff.delay(attempt)); waitErr != nil {
			return nil, err
		}
	}
}

// record counts an answer: a server that answers 5xx or 429 is reachable
// but not serving the resource, which readiness should see too.
func (t *Transport) record(resource string, resp *http.Response) {
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		t.Tracker.Failed(resource, fmt.Errorf("HTTP %d", resp.StatusCode))
		return
	}
	t.Tracker.Succeeded(resource)
}

// retryable: reads without a body, which the transport can repeat as they
// are (list and watch requests).
func retryable(req *http.Request) bool {
	return req.Method == http.MethodGet && (req.Body == nil || req.Body == http.NoBody)
}

// resourceOf is the request's path: one per kind (and namespace, for a
// namespaced informer), the unit readiness reports on.
func resourceOf(req *http.Request) string {
	return strings.TrimSuffix(req.URL.Path, "/")
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
