package apihealth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

// TestTransportHoldsReadsAcrossAnOutage: a GET sent while nothing listens
// is retried by the transport until a server appears on the port, and the
// tracker sees the run of failures end.
func TestTransportHoldsReadsAcrossAnOutage(t *testing.T) {
	addr := freeAddr(t)
	tr := NewTracker(logr.Discard())
	client := &http.Client{Transport: &Transport{Next: http.DefaultTransport.(*http.Transport).Clone(), Tracker: tr,
		Backoff: Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}}}
	check := tr.Check(0)

	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := client.Get("http://" + addr + "/api/v1/pods?watch=true")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{string(b), err}
	}()

	waitUntil(t, "the failing GET to be recorded", func() bool { return check(nil) != nil })
	select {
	case r := <-done:
		t.Fatalf("GET returned while nothing listened: %+v", r)
	default:
	}
	if err := check(nil); !strings.Contains(err.Error(), "/api/v1/pods") {
		t.Errorf("check = %v, want it to name /api/v1/pods", err)
	}

	serve(t, addr, "pods")
	select {
	case r := <-done:
		if r.err != nil || r.body != "pods" {
			t.Fatalf("GET after the server came up = %q, %v; want the server's answer", r.body, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("GET still held 10s after the server came up")
	}
	if err := check(nil); err != nil {
		t.Errorf("check after the answer = %v, want ready", err)
	}
}

// TestTransportSendsWritesOnce: a write's caller decides about retrying.
func TestTransportSendsWritesOnce(t *testing.T) {
	addr := freeAddr(t)
	tr := NewTracker(logr.Discard())
	client := &http.Client{Transport: &Transport{Next: http.DefaultTransport, Tracker: tr, Backoff: DefaultBackoff}}
	start := time.Now()
	_, err := client.Post("http://"+addr+"/api/v1/namespaces", "application/json", strings.NewReader("{}"))
	if err == nil {
		t.Fatal("POST with nothing listening succeeded")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("POST took %s to fail; it must not be retried", took)
	}
}

// TestTransportGivesUpWithItsContext: a held read ends when its caller
// stops (the informer shutting down).
func TestTransportGivesUpWithItsContext(t *testing.T) {
	addr := freeAddr(t)
	client := &http.Client{Transport: &Transport{Next: http.DefaultTransport, Tracker: NewTracker(logr.Discard()), Backoff: DefaultBackoff}}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/v1/pods", nil)
	_, err := client.Do(req)
	if err == nil {
		t.Fatal("GET with nothing listening succeeded")
	}
	if ctx.Err() == nil {
		t.Fatalf("GET gave up (%v) before its context ended", err)
	}
}

func TestBackoffIsBounded(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		if got := b.delay(attempt); got != want*time.Millisecond {
			t.Errorf("delay(%d) = %s, want %s", attempt, got, want*time.Millisecond)
		}
	}
	if got := b.delay(1000); got != time.Second {
		t.Errorf("delay(1000) = %s, want the 1s cap", got)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func serve(t *testing.T, addr, body string) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body) })}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { _ = srv.Close() })
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
