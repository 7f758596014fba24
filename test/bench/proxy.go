package bench

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
)

// proxy is one simulated sidecar.
type proxy struct {
	f     *Fleet
	idx   int
	pod   *Pod
	conn  *grpc.ClientConn
	delta bool

	mu sync.Mutex
	// cur is what the next stream opens with; gen counts restarts, and
	// cancel ends the stream open now.
	cur    streamAuth
	gen    int
	cancel context.CancelFunc
	states [numTypes]*typeState
	// completeAt is when the proxy first held a complete configuration
	// (guarded by the fleet's mutex).
	completeAt time.Time
}

// streamAuth is who a stream says it is: the node id, and the token
// that proves it (a service-account token bound to the node's pod).
type streamAuth struct {
	node  *corev3.Node
	token string
}

// id is the node id the proxy announces.
func (p *proxy) id() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur.node.Id
}

// restart is the proxy of a recreated pod: a new sidecar, with the new
// pod's node id and token, replaces the stream at once.
func (p *proxy) restart(c streamAuth) {
	p.mu.Lock()
	p.cur = c
	p.gen++
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
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
// clean slate, as Envoy would resubscribe; a refused one is counted as
// such (and retried, as Envoy does). A restart reopens at once.
func (p *proxy) run(ctx context.Context) {
	for ctx.Err() == nil {
		sctx, cancel := context.WithCancel(ctx)
		p.mu.Lock()
		c, gen := p.cur, p.gen
		p.cancel = cancel
		p.mu.Unlock()
		var err error
		if p.delta {
			err = p.runDelta(sctx, c)
		} else {
			err = p.runSotW(sctx, c)
		}
		cancel()
		if ctx.Err() != nil || err == nil {
			return
		}
		p.mu.Lock()
		p.states = [numTypes]*typeState{}
		restarted := p.gen != gen
		p.mu.Unlock()
		if restarted {
			continue
		}
		if code := grpcstatus.Code(err); code == codes.Unauthenticated || code == codes.PermissionDenied {
			p.f.refused(p, c.node.Id, err)
		} else {
			p.f.count(false)
		}
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
