package apihealth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

func TestVerdict(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	refused := errors.New("connection refused")
	cases := []struct {
		name    string
		now     time.Time
		failing map[string]failure
		want    string // substring of the error; "" is ready
	}{
		{"nothing failing", t0, nil, ""},
		{"within grace", t0.Add(10 * time.Second), map[string]failure{"/api/v1/pods": {t0, refused}}, ""},
		{"past grace", t0.Add(11 * time.Second), map[string]failure{"/api/v1/pods": {t0, refused}},
			"1 resource(s) unreachable, /api/v1/pods for 11s (grace 10s): connection refused"},
		{"names the longest", t0.Add(30 * time.Second), map[string]failure{
			"/api/v1/services": {t0.Add(5 * time.Second), refused}, "/api/v1/pods": {t0, refused},
		}, "2 resource(s) unreachable, /api/v1/pods for 30s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := verdict(c.now, c.failing, 10*time.Second)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("verdict = %v, want ready", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("verdict = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestTrackerRunsPerResource: one resource answering does not hide another
// that keeps failing, and an answer ends that resource's run.
func TestTrackerRunsPerResource(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := NewTracker(logr.Discard())
	tr.now = func() time.Time { return now }
	check := tr.Check(time.Second)

	tr.Failed("/api/v1/pods", errors.New("refused"))
	tr.Failed("/api/v1/services", errors.New("refused"))
	now = now.Add(500 * time.Millisecond)
	tr.Succeeded("/api/v1/services")
	tr.Failed("/api/v1/pods", errors.New("refused again")) // the run goes on
	now = now.Add(time.Second)
	if err := check(nil); err == nil || !strings.Contains(err.Error(), "/api/v1/pods for 2s") || !strings.Contains(err.Error(), "refused again") {
		t.Fatalf("check = %v, want pods unreachable for 2s with the latest error", err)
	}
	tr.Succeeded("/api/v1/pods")
	if err := check(nil); err != nil {
		t.Fatalf("check after pods answered = %v, want ready", err)
	}
}
