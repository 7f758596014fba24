package bench

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Reconcile is one run of the mesh reconciler, as it logs it.
type Reconcile struct {
	At   time.Time
	Full bool // false: a fast path (Kind says which)
	// Kind is "full", "rules" (VirtualService/DestinationRule path),
	// "endpoints" or "join" (proxies joined to the last reconcile).
	Kind    string
	Took    time.Duration
	Groups  int
	Proxies int
}

// captureSink is the control plane's logger. It keeps the reconciler's
// own account of each reconcile (how long, how many groups), which is the
// evidence for where convergence time goes, counts errors, and prints
// everything only with --verbose.
type captureSink struct {
	rec     *logRecord
	name    string
	verbose io.Writer
}

type logRecord struct {
	mu         sync.Mutex
	reconciles []Reconcile
	errors     []string
	rejections int
	// forward, when set (in the control-plane process), sends every record
	// to the bench process as well.
	forward func(cpMessage)
}

func (l *logRecord) addReconcile(r Reconcile) {
	l.mu.Lock()
	l.reconciles = append(l.reconciles, r)
	l.mu.Unlock()
	if l.forward != nil {
		l.forward(cpMessage{Reconcile: &r})
	}
}

func (l *logRecord) addRejection() {
	l.mu.Lock()
	l.rejections++
	l.mu.Unlock()
	if l.forward != nil {
		l.forward(cpMessage{Rejection: true})
	}
}

func (l *logRecord) addError(e string) {
	l.mu.Lock()
	if len(l.errors) < 20 {
		l.errors = append(l.errors, e)
	}
	l.mu.Unlock()
	if l.forward != nil {
		l.forward(cpMessage{LogError: e})
	}
}

// reconcileKinds names the reconciler's log messages' paths.
var reconcileKinds = map[string]string{"mesh reconciled": "full", "endpoints reconciled": "endpoints", "rules reconciled": "rules", "pods reconciled": "pods", "proxies joined": "join"}

func newCaptureSink(verbose io.Writer) *captureSink {
	return &captureSink{rec: &logRecord{}, verbose: verbose}
}

func (s *captureSink) Init(logr.RuntimeInfo) {}

// Enabled lets V(1) through: the reconciler logs its timings there.
func (s *captureSink) Enabled(level int) bool { return level <= 1 }

func (s *captureSink) Info(level int, msg string, kv ...any) {
	if s.verbose != nil {
		fmt.Fprintf(s.verbose, "%s %s: %s %v\n", time.Now().Format("15:04:05.000"), s.name, msg, kv)
	}
	switch msg {
	case "mesh reconciled", "endpoints reconciled", "rules reconciled", "pods reconciled", "proxies joined":
		r := Reconcile{At: time.Now(), Full: msg == "mesh reconciled", Kind: reconcileKinds[msg]}
		for i := 0; i+1 < len(kv); i += 2 {
			switch kv[i] {
			case "took":
				r.Took, _ = time.ParseDuration(fmt.Sprint(kv[i+1]))
			case "groups":
				r.Groups, _ = kv[i+1].(int)
			case "proxies":
				r.Proxies, _ = kv[i+1].(int)
			}
		}
		s.rec.addReconcile(r)
	case "proxy rejected configuration":
		s.rec.addRejection()
	}
}

func (s *captureSink) Error(err error, msg string, kv ...any) {
	if s.verbose != nil {
		fmt.Fprintf(s.verbose, "%s %s: ERROR %s: %v %v\n", time.Now().Format("15:04:05.000"), s.name, msg, err, kv)
	}
	s.rec.addError(fmt.Sprintf("%s: %s: %v", s.name, msg, err))
}

func (s *captureSink) WithValues(...any) logr.LogSink { return s }

func (s *captureSink) WithName(name string) logr.LogSink {
	c := *s
	if c.name != "" {
		name = c.name + "/" + name
	}
	c.name = name
	return &c
}

// reconcilesSince returns the reconciles logged at or after t.
func (s *captureSink) reconcilesSince(t time.Time) []Reconcile {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	var out []Reconcile
	for _, r := range s.rec.reconciles {
		if !r.At.Before(t) {
			out = append(out, r)
		}
	}
	return out
}

func (s *captureSink) errorsLogged() []string {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return append([]string(nil), s.rec.errors...)
}
