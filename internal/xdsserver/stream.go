package xdsserver

import (
	"context"
	"strconv"
	"sync/atomic"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// port is one listening port's streams and cache.
type port struct {
	ctx   context.Context
	cache *groupCache
	cb    *callbacks
	ids   atomic.Int64
}

// streamBase is what state-of-the-world and Delta streams share: the node
// they serve, the wake-up a new snapshot sends them, their nonces.
type streamBase struct {
	p      *port
	id     int64
	grpc   grpc.ServerStream
	node   *corev3.Node
	nodeID string
	ns     *nodeState
	kick   chan struct{}
	nonce  int64
	// defaultType is the type of a per-type service's stream; "" on ADS.
	defaultType string
}

func newStreamBase(p *port, g grpc.ServerStream, defaultType string) streamBase {
	return streamBase{p: p, id: p.ids.Add(1), grpc: g, node: &corev3.Node{}, kick: make(chan struct{}, 1), defaultType: defaultType}
}

// wake is called under the node's lock: it never blocks, a stream already
// woken is not woken twice.
func (b *streamBase) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// follow attaches the stream to the node its requests name.
func (b *streamBase) follow(id string, w waker) {
	if id == "" || id == b.nodeID {
		return
	}
	if b.ns != nil {
		b.ns.detach(w)
	}
	b.nodeID, b.ns = id, b.p.cache.attach(id, w)
}

func (b *streamBase) leave(w waker) {
	if b.ns != nil {
		b.ns.detach(w)
	}
}

func (b *streamBase) snapshot() *Snapshot {
	if b.ns == nil {
		return nil
	}
	return b.ns.snapshot()
}

func (b *streamBase) nextNonce() string {
	b.nonce++
	return strconv.FormatInt(b.nonce, 10)
}

// typeOf fills in a request's type on a per-type service; ADS requests
// must name it.
func (b *streamBase) typeOf(typeURL *string) error {
	if *typeURL != "" {
		return nil
	}
	if b.defaultType == "" {
		return status.Errorf(codes.InvalidArgument, "type URL is required for ADS")
	}
	*typeURL = b.defaultType
	return nil
}

// fillNode keeps the id of the stream's first request's node: later
// requests may leave the node out, and are given one holding that id. Only
// the id is kept: Envoy's node lists every extension it was built with,
// and a stream kept its first request's node for as long as it was open.
// The tracker copies what it keeps of a new proxy's node.
func (b *streamBase) fillNode(n **corev3.Node) {
	if *n != nil {
		b.node = &corev3.Node{Id: (*n).GetId()}
	} else {
		*n = b.node
	}
}

// receive reads requests on a goroutine of their own until the stream
// ends; the channel closes then.
func receive[T any, P interface {
	*T
	proto.Message
}](ctx context.Context, g grpc.ServerStream) <-chan P {
	out := make(chan P)
	go func() {
		defer close(out)
		for {
			m := P(new(T))
			if err := g.RecvMsg(m); err != nil {
				return
			}
			select {
			case out <- m:
			case <-g.Context().Done():
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// serveLoop runs one stream until it ends: each request is handled as it
// arrives, and a kick (a new snapshot for the stream's node) pushes what
// the proxy lacks. Requests and pushes take turns on this goroutine, so a
// stream's state needs no lock of its own.
func serveLoop[T any, P interface {
	*T
	proto.Message
}](ctx context.Context, g grpc.ServerStream, kick <-chan struct{}, push func() error, handle func(P) error) error {
	reqs := receive[T, P](ctx, g)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
			if err := push(); err != nil {
				return err
			}
		case req, ok := <-reqs:
			if !ok {
				return nil
			}
			if err := handle(req); err != nil {
				return err
			}
		}
	}
}

// pushOrder is the order a stream's types are looked at after a change:
// what others depend on first (secrets, then clusters and their load
// assignments, then listeners and their routes).
var pushOrder = [numTypes]int{typeSecret, typeCluster, typeEndpoint, typeListener, typeRoute}
