package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/grpc"
	grpccreds "google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/sailplane/sailplane/internal/defaults"
	"github.com/sailplane/sailplane/internal/names"
)

// FleetOptions size the simulated sidecars.
type FleetOptions struct {
	Proxies int
	// DeltaShare of the proxies speak Delta xDS; the rest state of the
	// world.
	DeltaShare float64
	// Conns is how many gRPC connections the proxies' streams share, so
	// the client side does not dominate the (shared) CPU.
	Conns int
}

// Fleet is the simulated sidecars: one ADS stream each, multiplexed over a
// few connections.
type Fleet struct {
	proxies []*proxy
	conns   []*grpc.ClientConn
	store   *store
	expect  atomic.Pointer[expectation]

	mu           sync.Mutex
	firstConnect time.Time
	completed    int
	allComplete  chan struct{}
	inconsistent int
	badProxies   map[*proxy]bool
	firstBad     string
	nacks        int
	reconnects   int
	// refusals counts streams the control plane refused (Unauthenticated
	// or PermissionDenied), refusedProxies the proxies refused at least
	// once; firstRefusal is closed at the first.
	refusals       int
	refusedProxies map[*proxy]bool
	firstRefused   string
	firstRefusal   chan struct{}
	restarts       int
	byPod          map[*Pod][]*proxy
}

// bearer is a stream's credentials: the proxy's token in the
// authorization header, as Envoy's call credentials send it.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return true }

// NewFleet prepares the proxies for the mesh's pods: proxy i speaks for
// pod i; with more proxies than pods, the extra ones speak for the same
// pods under node ids of their own (another IP), and share their group.
// Proxy i authenticates with tokens[i], over connections made with tlsConf
// (the server verified against the mesh root).
func NewFleet(addr string, tlsConf *tls.Config, m *Mesh, tokens []string, o FleetOptions) (*Fleet, error) {
	if len(tokens) != o.Proxies {
		return nil, fmt.Errorf("%d tokens for %d proxies", len(tokens), o.Proxies)
	}
	f := &Fleet{
		store: newStore(), allComplete: make(chan struct{}), badProxies: map[*proxy]bool{},
		refusedProxies: map[*proxy]bool{}, firstRefusal: make(chan struct{}), byPod: map[*Pod][]*proxy{},
	}
	for i := 0; i < max(o.Conns, 1); i++ {
		conn, err := grpc.NewClient(addr,
			grpc.WithTransportCredentials(grpccreds.NewTLS(tlsConf)),
			grpc.WithContextDialer(dialBuffered),
			// Envoy's default HTTP/2 windows are 256 MiB: it never throttles
			// a control plane's pushes. Fixed windows also turn off BDP
			// probing.
			grpc.WithInitialWindowSize(64<<20), grpc.WithInitialConnWindowSize(256<<20),
			// gRPC's read buffer and its cleared buffers stay: without them
			// the simulated side took more CPU, not less (the first touch
			// of a frame's buffer moved into the copy from TLS, which then
			// cost more than clearing and copying through the buffer had).
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30), grpc.WaitForReady(true)),
		)
		if err != nil {
			f.Close()
			return nil, err
		}
		f.conns = append(f.conns, conn)
	}
	for i := 0; i < o.Proxies; i++ {
		pod, node := proxyNode(m, i)
		p := &proxy{
			f: f, idx: i, pod: pod, cur: streamAuth{node: node, token: tokens[i]}, conn: f.conns[i%len(f.conns)],
			delta: math.Floor(float64(i+1)*o.DeltaShare) > math.Floor(float64(i)*o.DeltaShare),
		}
		f.proxies = append(f.proxies, p)
		f.byPod[pod] = append(f.byPod[pod], p)
	}
	return f, nil
}

// ProxiesOf returns the proxies speaking for pod.
func (f *Fleet) ProxiesOf(pod *Pod) []*proxy { return f.byPod[pod] }

// Restart replaces the proxy's sidecar (its pod was recreated): a stream
// with the pod's new node id (its new IP) and token.
func (f *Fleet) Restart(m *Mesh, p *proxy, token string) {
	_, node := proxyNode(m, p.idx)
	f.mu.Lock()
	f.restarts++
	f.mu.Unlock()
	p.restart(streamAuth{node: node, token: token})
}

// refused counts a stream the control plane turned away.
func (f *Fleet) refused(p *proxy, nodeID string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refusals++
	f.refusedProxies[p] = true
	if f.firstRefused == "" {
		f.firstRefused = nodeID + ": " + err.Error()
		close(f.firstRefusal)
	}
}

// Refusals are the streams refused so far, the proxies they were of and
// the first refusal's node and error.
func (f *Fleet) Refusals() (streams, proxies int, first string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refusals, len(f.refusedProxies), f.firstRefused
}

// proxyNode is the i-th proxy's pod and the node it announces.
func proxyNode(m *Mesh, i int) (*Pod, *corev3.Node) {
	pod := m.Pods[i%len(m.Pods)]
	ip := pod.IP
	if i >= len(m.Pods) {
		ip = hostIP(200, i)
	}
	id := names.NodeID(names.Node{Type: names.Sidecar, IP: ip, Pod: pod.Name, Namespace: pod.Namespace, Domain: defaults.DomainSuffix})
	meta, _ := structpb.NewStruct(map[string]any{"INTERCEPTION_MODE": "REDIRECT"})
	return pod, &corev3.Node{Id: id, Cluster: pod.Service.Name + "." + pod.Namespace, Metadata: meta}
}

// Start opens every proxy's stream at once, as proxies waiting for a
// restarted control plane do. Streams reconnect until ctx ends.
func (f *Fleet) Start(ctx context.Context) {
	pprof.Do(ctx, pprof.Labels(roleLabel, roleProxies), func(ctx context.Context) {
		for _, p := range f.proxies {
			go p.run(ctx)
		}
	})
}

// Close closes the connections.
func (f *Fleet) Close() {
	for _, c := range f.conns {
		_ = c.Close()
	}
}

func (f *Fleet) connected() {
	f.mu.Lock()
	if f.firstConnect.IsZero() {
		f.firstConnect = time.Now()
	}
	f.mu.Unlock()
}

// accepted is called after a proxy ACKed a new set: it judges the
// proxy's whole configuration and feeds the pending expectation.
func (f *Fleet) accepted(p *proxy, typ int, st *typeState, at time.Time) {
	states := p.set(typ, st)
	v := f.store.check(states)
	f.mu.Lock()
	if v.inconsistent != "" {
		f.inconsistent++
		f.badProxies[p] = true
		if f.firstBad == "" {
			f.firstBad = p.id() + ": " + v.inconsistent
		}
	}
	if v.complete && p.completeAt.IsZero() {
		p.completeAt = at
		if f.completed++; f.completed == len(f.proxies) {
			close(f.allComplete)
		}
	}
	f.mu.Unlock()
	if e := f.expect.Load(); e != nil && e.typ == typ {
		e.see(p, st, at)
	}
}

func (f *Fleet) count(nack bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if nack {
		f.nacks++
	} else {
		f.reconnects++
	}
}

// refusalGrace is how long WaitComplete goes on after the first refusal,
// so that the report counts the refused proxies rather than the first.
const refusalGrace = 5 * time.Second

// WaitComplete waits until every proxy has ACKed a complete configuration.
// A refused proxy never will: after the first refusal it waits
// refusalGrace more and fails, counting the refusals.
func (f *Fleet) WaitComplete(ctx context.Context, timeout time.Duration) error {
	deadline := time.After(timeout)
	select {
	case <-f.allComplete:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-f.firstRefusal:
		select {
		case <-ctx.Done():
		case <-time.After(refusalGrace):
		}
		streams, proxies, first := f.Refusals()
		return fmt.Errorf("the control plane refused %d proxies (%d streams); the first: %s", proxies, streams, first)
	case <-deadline:
		f.mu.Lock()
		defer f.mu.Unlock()
		return fmt.Errorf("%d of %d proxies had a complete configuration after %s", f.completed, len(f.proxies), timeout)
	}
}

// held returns every proxy's sets (for compaction and sampling).
func (f *Fleet) held() [][numTypes]*typeState {
	out := make([][numTypes]*typeState, len(f.proxies))
	for i, p := range f.proxies {
		out[i] = p.get()
	}
	return out
}

// Compact drops the interned sets nobody holds; called between phases.
func (f *Fleet) Compact() { f.store.compact(f.held()) }
