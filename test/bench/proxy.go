package bench

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/grpc"
)

// proxy is one simulated sidecar.
type proxy struct {
	f     *Fleet
	pod   *Pod
	node  *corev3.Node
	conn  *grpc.ClientConn
	delta bool

	mu     sync.Mutex
	states [numTypes]*typeState
	// completeAt is when the proxy first held a complete configuration
	// (guarded by the fleet's mutex).
	completeAt time.Time
}

func (p *proxy) set(typ int, st *typeState) [numTypes]*typeState {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.states[typ] = st
	return p.states
}

func (p *proxy) get() [numTypes]*typeState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.states
}

// run keeps a stream open until ctx ends. A broken stream (the server's
// maximum connection age, for one) is reopened after a pause, from a
// clean slate, as Envoy would resubscribe.
func (p *proxy) run(ctx context.Context) {
	for ctx.Err() == nil {
		var err error
		if p.delta {
			err = p.runDelta(ctx)
		} else {
			err = p.runSotW(ctx)
		}
		if ctx.Err() != nil || err == nil {
			return
		}
		p.f.count(false)
		p.mu.Lock()
		p.states = [numTypes]*typeState{}
		p.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// follow-up names: what the proxy must ask for by name after a wildcard
// type changed (EDS after CDS, RDS after LDS), sorted.
func followUpNames(typ int, st *typeState) []string {
	var out []string
	for _, e := range st.entries {
		switch typ {
		case typeCDS:
			if e.eds {
				out = append(out, e.name)
			}
		case typeLDS:
			out = append(out, e.rds...)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// followUp is the by-name type that follows a wildcard type.
func followUp(typ int) (int, bool) {
	switch typ {
	case typeCDS:
		return typeEDS, true
	case typeLDS:
		return typeRDS, true
	}
	return 0, false
}
